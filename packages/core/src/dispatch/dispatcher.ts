import type { Codec } from '../codec.js';
import { runWithCorrelation } from '../context.js';
import { MetroHeaders } from '../envelope.js';
import { toError } from '../errors.js';
import type { FailureStore } from '../stores/failure-store.js';
import type { Inbox } from '../stores/inbox.js';
import { DELIVERY_SETTLED, type Delivery, type HeaderValue, type Transport } from '../transport.js';
import { decodeDelivery } from './delivery-decoder.js';
import { routeDelivery, UNROUTED } from './delivery-router.js';
import { createDeliverySettler, type UnroutedHandler } from './delivery-settler.js';
import { DispatchFailure } from './dispatch-failure.js';
import { createFailureRecorder } from './failure-recorder.js';
import type { ContextRuntime } from './handler-context.js';
import { createHandlerRunner } from './handler-runner.js';
import { FAILED, INFRA, OK, STOPPED, type Outcome } from './outcome.js';
import type { Router } from './router.js';
import { messagingSystemOf } from '../telemetry/messaging-attributes.js';
import { beginProcess, countUndispatched, endProcess, type ProcessOutcome } from '../telemetry/process-telemetry.js';

const PROCESS_OUTCOME: Record<Outcome, ProcessOutcome> = { [OK]: 'ok', [FAILED]: 'failed', [INFRA]: 'requeued', [STOPPED]: 'requeued' };

export type { UnroutedHandler };

/** Everything the dispatch step needs (`createMetro` builds it). @internal */
export interface DispatcherOptions {
  readonly service: string;
  readonly router: Router;
  /** True for the service queue (commands are accepted there only). */
  readonly acceptsCommands: boolean;
  readonly codec: Codec;
  /** Used to publish per-handler retries. */
  readonly transport: Transport;
  readonly failures: FailureStore;
  readonly runtime: ContextRuntime;
  readonly inbox: Inbox | undefined;
  readonly maxMessageBytes: number;
  readonly unrouted: () => UnroutedHandler | undefined;
  /** Pause before requeueing a delivery whose retry publish or failure write failed. Default 1000 ms. */
  readonly requeueDelayMs?: number;
}

/** The dispatch step: delivery in → handlers run → settled. @internal */
export interface Dispatcher {
  /** Decodes, routes, validates, runs the handlers and settles the delivery. Never rejects. */
  dispatch(delivery: Delivery): Promise<void>;
  /** Deliveries being dispatched now. */
  readonly inFlight: number;
  /** Resolves when no delivery is being dispatched. */
  idle(): Promise<void>;
  /** Metro is stopping: deliveries that arrive from now on are requeued without running handlers. */
  beginStop(): void;
  /** Aborts every running handler (the stop timeout passed): their deliveries are requeued, not failed. */
  abortAll(): void;
}

function headerNumber(value: HeaderValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Builds the dispatch step of one queue; it can be driven with synthetic `Delivery` objects, no
 * transport in the loop. `createMetro` calls it; users get a queue's step from
 * `metro.dispatcher()`.
 *
 * Internal: exported for Metro's own tests, not part of the supported API; it may change in any
 * release.
 *
 * @internal
 * @example
 * ```ts
 * const dispatch = metro.dispatcher();
 * await dispatch({ body, queue: 'billing', headers: {}, ack, requeue, reject, ... });
 * ```
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { service, router, codec, transport, failures, runtime, inbox, maxMessageBytes, acceptsCommands } = options;
  const requeueDelayMs = options.requeueDelayMs ?? 1000;
  const system = messagingSystemOf(transport.name);
  const record = createFailureRecorder({ service, failures, logger: runtime.logger });
  const runner = createHandlerRunner({ service, runtime, transport, inbox, record });
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  let stopping = false;
  const settler = createDeliverySettler({ failures, logger: runtime.logger, record, requeueDelayMs, unrouted: options.unrouted, stopping: () => stopping });

  /** Not async on purpose: the all-synchronous path makes no promise but the ack's. */
  function process(delivery: Delivery): Promise<void> {
    const attempt = headerNumber(delivery.headers[MetroHeaders.attempt]) ?? 1;
    const envelope = decodeDelivery(delivery, router, codec, maxMessageBytes);
    if (envelope instanceof DispatchFailure) return undispatched(delivery, envelope, attempt);
    const entries = routeDelivery(delivery, envelope, router, service, acceptsCommands);
    if (entries === UNROUTED) return settler.unroutedAndSettle(delivery, envelope);
    if (entries instanceof DispatchFailure) return undispatched(delivery, entries, attempt);
    if (stopping) return settler.settle(delivery, STOPPED);
    const correlationId = envelope.correlationid ?? envelope.id;
    const telemetry = beginProcess(system, service, delivery, envelope, attempt);
    const correlation = { correlationId, causationId: envelope.id, traceparent: envelope.traceparent };
    const outcome =
      telemetry?.span !== undefined
        ? telemetry.span.run(() => runWithCorrelation(correlation, runner.run, delivery, envelope, entries, attempt, correlationId))
        : runWithCorrelation(correlation, runner.run, delivery, envelope, entries, attempt, correlationId);
    if (telemetry === undefined) {
      return typeof outcome === 'number' ? settler.settle(delivery, outcome) : outcome.then((o) => settler.settle(delivery, o));
    }
    const settle = (o: Outcome): Promise<void> => {
      endProcess(telemetry, PROCESS_OUTCOME[o]);
      return settler.settle(delivery, o);
    };
    return typeof outcome === 'number' ? settle(outcome) : outcome.then(settle);
  }

  function undispatched(delivery: Delivery, failure: DispatchFailure, attempt: number): Promise<void> {
    countUndispatched(system, delivery);
    return settler.recordAndSettle(delivery, failure, attempt);
  }

  async function recover(delivery: Delivery, err: unknown): Promise<void> {
    runtime.logger.error({ err: toError(err), queue: delivery.queue }, 'dispatch failed unexpectedly; requeueing');
    try {
      await delivery.requeue();
    } catch {
      // the transport redelivers an unsettled message when its channel goes away
    } finally {
      done();
    }
  }

  function done(): void {
    if (--inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  return {
    dispatch(delivery: Delivery): Promise<void> {
      inFlight++;
      let settled: Promise<void>;
      try {
        settled = process(delivery);
      } catch (err) {
        settled = Promise.reject(err);
      }
      if (settled === DELIVERY_SETTLED) {
        // a synchronous handler, its ack taken at once: done without a promise
        done();
        return DELIVERY_SETTLED;
      }
      return settled.then(done, (err: unknown) => recover(delivery, err));
    },
    get inFlight() {
      return inFlight;
    },
    idle(): Promise<void> {
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
    },
    beginStop(): void {
      stopping = true;
    },
    abortAll(): void {
      stopping = true;
      runner.abortAll();
    },
  };
}
