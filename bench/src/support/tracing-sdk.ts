// The OpenTelemetry SDK as issue #20's bench sets it: a tracer provider with a batch span processor
// and an in-memory exporter (which keeps every span until reset), the async-hooks context manager,
// and for information a meter provider with an in-memory reader. One home for the telemetry bench
// and the processes it forks.
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemoryMetricExporter, AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';

/** A registered SDK (see {@link registerSdk}). */
export interface RegisteredSdk {
  readonly tracerProvider: BasicTracerProvider;
  readonly spans: InMemorySpanExporter;
  /** Flushes what the batch processor still holds and counts the spans exported since the last `reset`. */
  exported(): Promise<number>;
  /** Drops the exported spans (a traced round starts with none kept). */
  reset(): void;
  /** Shuts the providers down and unregisters them. */
  off(): Promise<void>;
}

/**
 * Registers the SDK globally; with `withMetrics`, the meter provider too.
 *
 * @example
 * ```ts
 * const sdk = registerSdk(false);
 * await bus.round(10_000);
 * console.log(await sdk.exported());
 * await sdk.off();
 * ```
 */
export function registerSdk(withMetrics: boolean): RegisteredSdk {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans, { maxQueueSize: 65_536, maxExportBatchSize: 2048 })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 60_000 })],
  });
  if (withMetrics) metrics.setGlobalMeterProvider(meterProvider);
  return {
    tracerProvider,
    spans,
    async exported() {
      await tracerProvider.forceFlush();
      return spans.getFinishedSpans().length;
    },
    reset: () => spans.reset(),
    async off() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
