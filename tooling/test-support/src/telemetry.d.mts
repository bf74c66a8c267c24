import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { BasicTracerProvider, ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** One collected metric data point: a counter's sum, a gauge's value, or a histogram (its `count`). */
export interface MetricPoint {
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  readonly value: number | { readonly count: number; readonly sum?: number };
}

/** The in-memory OpenTelemetry SDK of one test file (see {@link installTelemetry}). */
export interface TestTelemetry {
  readonly tracerProvider: BasicTracerProvider;
  readonly meterProvider: MeterProvider;
  /** Every finished span so far. */
  spans(): ReadableSpan[];
  spansNamed(name: string): ReadableSpan[];
  resetSpans(): void;
  /** Polls the finished spans until `predicate` holds (rejects after `timeoutMs`, default 10 s, naming what it saw). */
  waitForSpans(predicate: (spans: ReadableSpan[]) => boolean, timeoutMs?: number): Promise<ReadableSpan[]>;
  /** Collects every metric now (cumulative). */
  collect(): Promise<MetricPoint[]>;
  /** The sum of a counter's points (a histogram's counts) whose attributes include `where`. */
  metricSum(name: string, where?: Record<string, unknown>): Promise<number>;
  /** Shuts the SDK down and unregisters it. */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK for this test file: an AsyncLocalStorage context manager, a
 * tracer provider exporting to an `InMemorySpanExporter` (simple processor), and a meter provider
 * read by an `InMemoryMetricExporter` on demand. No propagator is registered (Metro writes W3C
 * `traceparent` itself then) unless `propagator: 'w3c'` (what NodeSDK registers; auto-instrumentations
 * such as instrumentation-amqplib read headers only through it).
 *
 * @example
 * ```ts
 * import { installTelemetry } from '@metro/test-support/telemetry';
 * const otel = installTelemetry();
 * afterAll(() => otel.shutdown());
 * expect(otel.spansNamed('publish orders')).toHaveLength(1);
 * ```
 */
export declare function installTelemetry(options?: { readonly propagator?: 'w3c' }): TestTelemetry;

/** The span id of a finished span's parent, if it has one. */
export declare function parentOf(span: ReadableSpan): string | undefined;
