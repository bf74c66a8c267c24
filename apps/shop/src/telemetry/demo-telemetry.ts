import { context, metrics, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** The demo's OpenTelemetry SDK: OTLP export when an endpoint is configured, else spans kept in memory for the summary. */
export interface DemoTelemetry {
  /** `otlp` when OTEL_EXPORTER_OTLP_ENDPOINT is set (traces and metrics go there), else `summary`. */
  readonly mode: 'otlp' | 'summary';
  /** One line per order (its HTTP request's trace): spans, services, duration, error; empty in `otlp` mode. */
  orderSummaries(): string[];
  /** Flushes and shuts the SDK down. */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK for `pnpm demo`. With `OTEL_EXPORTER_OTLP_ENDPOINT` set (e.g.
 * `http://localhost:4318` of a collector or Jaeger), traces and metrics are exported over OTLP/HTTP
 * (batch span processor, metrics every 5 s); without it, spans stay in memory and the demo prints a
 * one-line trace summary per order. Metro needs no other setup: it finds the registered SDK.
 */
export function startDemoTelemetry(env: NodeJS.ProcessEnv = process.env): DemoTelemetry {
  const otlp = Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  const resource = resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] ?? 'metro-shop-demo' });
  const memory = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [otlp ? new BatchSpanProcessor(new OTLPTraceExporter()) : new SimpleSpanProcessor(memory)],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = otlp
    ? new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: 5000 })] })
    : undefined;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);
  return {
    mode: otlp ? 'otlp' : 'summary',
    orderSummaries: () => (otlp ? [] : summarise(memory.getFinishedSpans())),
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider?.shutdown();
    },
  };
}

function summarise(spans: ReadonlyArray<ReadableSpan>): string[] {
  const requests = spans.filter((s) => s.name === 'POST /orders').sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  return requests.map((request) => {
    const traceId = request.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const services = [...new Set(inTrace.map((s) => s.attributes['metro.service']).filter((s): s is string => typeof s === 'string'))];
    const ms = (s: ReadableSpan): number => s.startTime[0] * 1000 + s.startTime[1] / 1e6;
    const end = Math.max(...inTrace.map((s) => s.endTime[0] * 1000 + s.endTime[1] / 1e6));
    const failed = inTrace.find((s) => s.status.code === SpanStatusCode.ERROR && s.name.startsWith('handler '));
    const links = spans.filter((s) => s.links.some((l) => l.context.traceId === traceId)).length;
    return (
      `  trace ${traceId}: ${inTrace.length} spans, orders -> ${services.filter((s) => s !== 'orders').join(' -> ') || '(nothing yet)'}, ` +
      `${Math.round(end - ms(request))} ms` +
      (links > 0 ? `, ${links} linked span(s) elsewhere (its payment timeouts firing)` : '') +
      (failed ? `, FAILED in ${failed.name}: ${failed.status.message ?? ''}` : '')
    );
  });
}
