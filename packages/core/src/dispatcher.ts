import type { Codec, IncomingMessage } from './codec.js';
import { runWithCorrelation } from './context.js';
import { MetroHeaders, type Envelope } from './envelope.js';
import { MessageExpiredError, MessageOversizedError, NoHandlerError, toError } from './errors.js';
import { createFailureRecorder } from './failure-recorder.js';
import type { ContextRuntime } from './handler-context.js';
import type { HandlerEntry } from './handler-entry.js';
import { createHandlerRunner, FAILED, INFRA, isThenable, OK, STOPPED, type Outcome } from './handler-run.js';
import type { Router } from './router.js';
import type { FailureReason, FailureStore } from './stores/failure-store.js';
import type { Inbox } from './stores/inbox.js';
import type { Delivery, HeaderValue, Transport } from './transport.js';

/** Called with each event no handler matched (it is acked either way). */
export type UnroutedHandler = (envelope: Envelope, info: { readonly queue: string }) => unknown;

/** Everything the dispatch step needs (internal; `createMetro` builds it). */
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

/** The dispatch step: delivery in → handlers run → settled. */
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

const OVERSIZED_KEEP = 64 * 1024;

function headerNumber(value: HeaderValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Builds the dispatch step of one queue. Exported for benchmarks and custom runtimes: it can be
 * driven with synthetic `Delivery` objects, no transport in the loop. Most users never call it
 * (`createMetro` does; `metro.dispatcher()` returns the one of a queue).
 *
 * @example
 * ```ts
 * const dispatch = metro.dispatcher();
 * await dispatch({ body, queue: 'billing', headers: {}, ack, requeue, reject, ... });
 * ```
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { service, router, codec, transport, failures, runtime, inbox, maxMessageBytes, acceptsCommands } = options;
  const requeueDelayMs = options.requeueDelayMs ?? 1000;
  const record = createFailureRecorder({ service, failures, logger: runtime.logger });
  const runner = createHandlerRunner({ service, runtime, transport, inbox, record });
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];
  let stopping = false;

  function settle(delivery: Delivery, outcome: Outcome): Promise<void> {
    if (outcome === OK && delivery.headers[MetroHeaders.failureId] === undefined) return delivery.ack();
    return settleSlow(delivery, outcome);
  }

  async function settleSlow(delivery: Delivery, outcome: Outcome): Promise<void> {
    if (outcome === OK || outcome === FAILED) {
      const failureId = delivery.headers[MetroHeaders.failureId];
      if (outcome === OK && typeof failureId === 'string') {
        try {
          await failures.resolve(failureId);
        } catch (err) {
          runtime.logger.warn({ err: toError(err), failureId }, 'could not mark a replayed failure resolved');
        }
      }
      await delivery.ack();
      return;
    }
    if (outcome === INFRA && !stopping) await new Promise((resolve) => setTimeout(resolve, requeueDelayMs));
    await delivery.requeue();
  }

  async function recordAndSettle(
    delivery: Delivery,
    reason: FailureReason,
    error: unknown,
    envelope: Envelope | null,
    handler: string | null,
    attempt: number,
    body?: Uint8Array,
  ): Promise<void> {
    const ok = await record(delivery, reason, error, envelope, handler, attempt, body);
    return settle(delivery, ok ? FAILED : INFRA);
  }

  async function unroutedAndSettle(delivery: Delivery, envelope: Envelope): Promise<void> {
    const unrouted = options.unrouted();
    if (unrouted !== undefined) {
      try {
        const r = unrouted(envelope, { queue: delivery.queue });
        if (isThenable(r)) await r;
      } catch (err) {
        runtime.logger.warn({ err: toError(err), messageId: envelope.id }, 'onUnrouted handler threw; the message is acked anyway');
      }
    } else {
      runtime.logger.debug({ messageId: envelope.id, type: envelope.type, queue: delivery.queue }, 'no handler matched; acked');
    }
    return settle(delivery, OK);
  }

  /** Not async on purpose: the all-synchronous path makes no promise but the ack's. */
  function process(delivery: Delivery): Promise<void> {
    const headers = delivery.headers;
    const attempt = headerNumber(headers[MetroHeaders.attempt]) ?? 1;
    if (delivery.body.byteLength > maxMessageBytes) {
      const error = new MessageOversizedError(delivery.body.byteLength, maxMessageBytes, OVERSIZED_KEEP);
      return recordAndSettle(delivery, 'oversized', error, null, null, attempt, delivery.body.subarray(0, OVERSIZED_KEEP));
    }
    const keptTopic = headers[MetroHeaders.topic];
    const keptSubject = headers[MetroHeaders.subject];
    let incoming: IncomingMessage = delivery;
    if (keptTopic !== undefined || keptSubject !== undefined) {
      incoming = {
        body: delivery.body,
        contentType: delivery.contentType,
        headers,
        topic: keptTopic !== undefined ? String(keptTopic) : delivery.topic,
        subject: keptSubject !== undefined ? String(keptSubject) : delivery.subject,
        messageId: delivery.messageId,
        timestamp: delivery.timestamp,
      };
    }
    let envelope: Envelope;
    try {
      envelope = (router.codecFor(incoming.topic) ?? codec).decode(incoming);
    } catch (err) {
      return recordAndSettle(delivery, 'decode', err, null, null, attempt);
    }
    const only = headers[MetroHeaders.handler];
    let entries: ReadonlyArray<HandlerEntry>;
    if (typeof only === 'string') {
      const entry = router.handler(only);
      if (entry === undefined) {
        const error = new NoHandlerError(envelope.type, service, { name: only, queue: delivery.queue });
        return recordAndSettle(delivery, 'no-handler', error, envelope, only, attempt);
      }
      entries = [entry];
    } else if (envelope.kind === 'command') {
      const entry = acceptsCommands ? router.command(envelope.type) : undefined;
      if (entry === undefined) {
        return recordAndSettle(delivery, 'no-handler', new NoHandlerError(envelope.type, service), envelope, null, attempt);
      }
      entries = [entry];
    } else {
      entries = router.match(envelope.topic ?? incoming.topic ?? '', envelope.subject ?? incoming.subject ?? envelope.type);
      if (entries.length === 0) return unroutedAndSettle(delivery, envelope);
    }
    if (
      envelope.kind === 'command' &&
      envelope.expiresat !== undefined &&
      headers[MetroHeaders.failureId] === undefined &&
      headers[MetroHeaders.deferredSeq] === undefined &&
      Date.parse(envelope.expiresat) < Date.now()
    ) {
      return recordAndSettle(delivery, 'expired', new MessageExpiredError(envelope.type, envelope.expiresat), envelope, null, attempt);
    }
    if (stopping) return settle(delivery, STOPPED);
    const correlationId = envelope.correlationid ?? envelope.id;
    const outcome = runWithCorrelation({ correlationId, causationId: envelope.id, traceparent: envelope.traceparent }, () =>
      runner.run(delivery, envelope, entries, attempt, correlationId),
    );
    return typeof outcome === 'number' ? settle(delivery, outcome) : outcome.then((o) => settle(delivery, o));
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
