// The OpenTelemetry SDK, in memory, for the tests of Metro's tracing and metrics.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

/** See telemetry.d.mts. */
export function installTelemetry(options = {}) {
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  if (options.propagator === 'w3c') propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);

  const spans = () => spanExporter.getFinishedSpans();
  async function collect() {
    metricExporter.reset();
    await reader.forceFlush();
    const points = [];
    for (const resource of metricExporter.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) points.push({ name: metric.descriptor.name, attributes: point.attributes, value: point.value });
        }
      }
    }
    return points;
  }
  return {
    tracerProvider,
    meterProvider,
    spans,
    spansNamed: (name) => spans().filter((s) => s.name === name),
    resetSpans: () => spanExporter.reset(),
    async waitForSpans(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const all = spans();
        if (predicate(all)) return all;
        if (Date.now() > deadline) throw new Error(`waitForSpans: condition not met within ${timeoutMs} ms; spans: ${all.map((s) => s.name).join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    collect,
    async metricSum(name, where = {}) {
      let sum = 0;
      for (const point of await collect()) {
        if (point.name !== name) continue;
        if (!Object.entries(where).every(([key, value]) => point.attributes[key] === value)) continue;
        sum += typeof point.value === 'number' ? point.value : point.value.count;
      }
      return sum;
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      propagation.disable();
      contextManager.disable();
      context.disable();
    },
  };
}

/** See telemetry.d.mts. */
export function parentOf(span) {
  return span.parentSpanContext?.spanId;
}
