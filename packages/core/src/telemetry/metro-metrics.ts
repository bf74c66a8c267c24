import type { Meter, MeterProvider } from '@opentelemetry/api';
import { otelApi, otelGlobalsRegistered } from './otel-api.js';
import type { TelemetryAttributes } from './metro-span.js';

/** A monotonic counter (the OpenTelemetry API's `Counter`, as Metro uses it). */
export interface MetricCounter {
  add(value: number, attributes?: TelemetryAttributes): void;
}

/** A histogram (the OpenTelemetry API's `Histogram`, as Metro uses it). */
export interface MetricHistogram {
  record(value: number, attributes?: TelemetryAttributes): void;
}

/**
 * Every instrument Metro records, named by the OpenTelemetry semantic conventions where they have
 * one (`messaging.*`, `rpc.*`) and `metro.*` where they do not. Durations are in seconds.
 */
export interface MetroInstruments {
  /** `messaging.client.sent.messages`: messages published or sent (destination, operation, outcome). */
  readonly sent: MetricCounter;
  /** `messaging.client.operation.duration` (s): publish until the broker's confirm. */
  readonly publishDuration: MetricHistogram;
  /** `messaging.client.consumed.messages`: deliveries dispatched (destination, subscription, outcome). */
  readonly consumed: MetricCounter;
  /** `messaging.process.duration` (s): one delivery, all its handlers. */
  readonly processDuration: MetricHistogram;
  /** `metro.handler.duration` (s): one handler call (handler, outcome). */
  readonly handlerDuration: MetricHistogram;
  /** `metro.messages.failed`: messages recorded in the failure store (reason). */
  readonly failed: MetricCounter;
  /** `metro.messages.retried`: handler retries scheduled through the delay queues. */
  readonly retried: MetricCounter;
  /** `metro.messages.deferred`: messages set aside with `ctx.defer()`. */
  readonly deferred: MetricCounter;
  /** `metro.inbox.duplicates`: deliveries the inbox skipped as already processed. */
  readonly inboxDuplicates: MetricCounter;
  /** `metro.outbox.lag` (s): outbox row committed until its publish was confirmed. */
  readonly outboxLag: MetricHistogram;
  /** `metro.outbox.relayed`: rows the relay published (its rate is the relay's rows per second). */
  readonly outboxRelayed: MetricCounter;
  /** `metro.scheduler.lateness` (s): a schedule's firing time minus the time it was due. */
  readonly schedulerLateness: MetricHistogram;
  /** `rpc.client.call.duration` (s): one RPC call, request to reply (rpc.method, outcome). */
  readonly rpcClientDuration: MetricHistogram;
  /** `metro.connection.reconnects`: broker connections re-established after a loss. */
  readonly reconnects: MetricCounter;
}

/** One observation of a gauge. */
export type ObserveGauge = (value: number, attributes?: TelemetryAttributes) => void;

let cachedProvider: MeterProvider | undefined;
let cached: MetroInstruments | undefined;

function meterOf(provider: MeterProvider): Meter | undefined {
  // The api's no-op provider (whichever copy of the api): no SDK, nothing to record.
  if (provider.constructor.name === 'NoopMeterProvider') return undefined;
  return provider.getMeter('@metro/core');
}

function createInstruments(meter: Meter): MetroInstruments {
  const seconds = { unit: 's' };
  return {
    sent: meter.createCounter('messaging.client.sent.messages', { unit: '{message}', description: 'Messages Metro published or sent.' }),
    publishDuration: meter.createHistogram('messaging.client.operation.duration', { ...seconds, description: 'Publish until the broker confirmed.' }),
    consumed: meter.createCounter('messaging.client.consumed.messages', { unit: '{message}', description: 'Deliveries Metro dispatched.' }),
    processDuration: meter.createHistogram('messaging.process.duration', { ...seconds, description: 'One delivery, all its handlers.' }),
    handlerDuration: meter.createHistogram('metro.handler.duration', { ...seconds, description: 'One handler call.' }),
    failed: meter.createCounter('metro.messages.failed', { unit: '{message}', description: 'Messages recorded in the failure store.' }),
    retried: meter.createCounter('metro.messages.retried', { unit: '{message}', description: 'Handler retries scheduled.' }),
    deferred: meter.createCounter('metro.messages.deferred', { unit: '{message}', description: 'Messages set aside with ctx.defer().' }),
    inboxDuplicates: meter.createCounter('metro.inbox.duplicates', { unit: '{message}', description: 'Deliveries the inbox skipped as duplicates.' }),
    outboxLag: meter.createHistogram('metro.outbox.lag', { ...seconds, description: 'Outbox row committed until its publish was confirmed.' }),
    outboxRelayed: meter.createCounter('metro.outbox.relayed', { unit: '{row}', description: 'Outbox rows the relay published.' }),
    schedulerLateness: meter.createHistogram('metro.scheduler.lateness', { ...seconds, description: 'Firing time minus due time.' }),
    rpcClientDuration: meter.createHistogram('rpc.client.call.duration', { ...seconds, description: 'One RPC call, request to reply.' }),
    reconnects: meter.createCounter('metro.connection.reconnects', { unit: '{connection}', description: 'Broker connections re-established.' }),
  };
}

/**
 * Metro's instruments on the registered meter provider, or `undefined` when there is none (no
 * `@opentelemetry/api`, or no SDK): callers write `metroMetrics()?.sent.add(1, attrs)` and build
 * no attributes otherwise. A provider registered later gets its own instruments.
 *
 * @example
 * ```ts
 * metroMetrics()?.outboxRelayed.add(rows.length, { 'messaging.system': 'rabbitmq' });
 * ```
 */
export function metroMetrics(): MetroInstruments | undefined {
  if (!otelGlobalsRegistered()) return undefined;
  const api = otelApi();
  if (api === undefined) return undefined;
  const provider = api.metrics.getMeterProvider();
  if (provider !== cachedProvider) {
    cachedProvider = provider;
    const meter = meterOf(provider);
    cached = meter === undefined ? undefined : createInstruments(meter);
  }
  return cached;
}

/**
 * Registers an observable gauge on the registered meter provider (none when there is no SDK);
 * the returned function unregisters it (call it on stop). `observe` may be async (a query).
 *
 * @example
 * ```ts
 * const stop = observeGauge('metro.outbox.pending', { unit: '{row}', description: 'Rows not yet published.' },
 *   async (record) => record(await countPending()));
 * ```
 */
export function observeGauge(
  name: string,
  options: { readonly unit: string; readonly description: string },
  observe: (record: ObserveGauge) => void | Promise<void>,
): () => void {
  // Nothing registered (yet): no gauge, and the api is not even loaded (as with a no-op provider, one registered later does not get it).
  if (!otelGlobalsRegistered()) return () => {};
  const api = otelApi();
  const meter = api === undefined ? undefined : meterOf(api.metrics.getMeterProvider());
  if (meter === undefined) return () => {};
  const gauge = meter.createObservableGauge(name, options);
  const callback = async (result: { observe(value: number, attributes?: Record<string, string | number | boolean>): void }): Promise<void> => {
    await observe((value, attributes) => result.observe(value, attributes as Record<string, string | number | boolean>));
  };
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}
