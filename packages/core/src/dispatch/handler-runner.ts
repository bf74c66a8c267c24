import type { Envelope } from '../envelope.js';
import type { Inbox } from '../stores/inbox.js';
import type { Delivery, Transport } from '../transport.js';
import type { RecordFailure } from './failure-recorder.js';
import { MessageContext, type ContextRuntime } from './handler-context.js';
import type { HandlerEntry } from './handler-entry.js';
import { createHandlerInvoker } from './handler-invoker.js';
import { createHandlerRetry } from './handler-retry.js';
import { FAILED, INFRA, OK, STOPPED, type Outcome } from './outcome.js';
import { INVALID, payloadFor, validationError, type ValidationCache } from './payload-validation.js';
import { traceHandler } from '../telemetry/handler-telemetry.js';

/** Per-message state of a handler run (one small object instead of closures). */
interface RunState extends ValidationCache {
  worst: Outcome;
}

/** What running handlers needs from the dispatcher (internal). */
export interface HandlerRunnerDeps {
  readonly service: string;
  readonly runtime: ContextRuntime;
  /** Used to publish per-handler retries. */
  readonly transport: Transport;
  readonly inbox: Inbox | undefined;
  readonly record: RecordFailure;
}

/** Runs the handlers of one message (internal). */
export interface HandlerRunner {
  run(delivery: Delivery, envelope: Envelope, entries: ReadonlyArray<HandlerEntry>, attempt: number, correlationId: string): Outcome | Promise<Outcome>;
  /** Rejects every running handler's wait and aborts its signal (the stop timeout passed). */
  abortAll(): void;
}

/**
 * Builds the handler runner (internal): runs a message's handlers in order, validating each
 * payload ({@link payloadFor}), calling each handler ({@link createHandlerInvoker}) and handling
 * its error ({@link createHandlerRetry}).
 *
 * @example
 * ```ts
 * const runner = createHandlerRunner({ service, runtime, transport, inbox, record });
 * const outcome = await runner.run(delivery, envelope, entries, 1, envelope.id);
 * ```
 */
export function createHandlerRunner(deps: HandlerRunnerDeps): HandlerRunner {
  const { service, runtime, transport, inbox, record } = deps;
  const invoker = createHandlerInvoker(service, inbox);
  const onHandlerError = createHandlerRetry(transport, record);

  const traced = (entry: HandlerEntry, payload: unknown, ctx: MessageContext): Promise<unknown> | undefined =>
    traceHandler(entry.name, ctx.attempt, service, () => invoker.invoke(entry, payload, ctx));

  /** Calls a handler (through its rate limiter, if it has one). */
  function invoke(entry: HandlerEntry, payload: unknown, ctx: MessageContext, delivery: Delivery): Promise<unknown> | undefined {
    try {
      const gate = entry.rateGate;
      if (gate !== undefined) return gate.admit(delivery, ctx.envelope, ctx.attempt, () => traced(entry, payload, ctx));
      return traced(entry, payload, ctx);
    } catch (thrown) {
      return Promise.reject(thrown);
    }
  }

  /**
   * Runs the handlers of one message in order. Synchronous for as long as everything is (sync
   * validation, handlers returning no promise): no promise is made on that path. At the first
   * asynchronous step, or an invalid payload, it hands over to {@link runHandlersAsync}.
   */
  function runHandlers(
    delivery: Delivery,
    envelope: Envelope,
    entries: ReadonlyArray<HandlerEntry>,
    attempt: number,
    correlationId: string,
  ): Outcome | Promise<Outcome> {
    const run: RunState = { worst: OK, lastSchema: undefined, lastPayload: undefined, lastIssues: undefined };
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const payload = payloadFor(entry, envelope, run);
      if (payload === INVALID || payload instanceof Promise)
        return runHandlersAsync(delivery, envelope, entries, attempt, correlationId, i, run, undefined, undefined);
      const ctx = new MessageContext(runtime, envelope, attempt, correlationId, entry.name, delivery.queue, delivery);
      const pending = invoke(entry, payload, ctx, delivery);
      if (pending !== undefined) return runHandlersAsync(delivery, envelope, entries, attempt, correlationId, i, run, ctx, pending);
    }
    return run.worst;
  }

  /** Runs the handlers from `from` on, awaiting each; `started` is the handler already running at `from`, if any. */
  async function runHandlersAsync(
    delivery: Delivery,
    envelope: Envelope,
    entries: ReadonlyArray<HandlerEntry>,
    attempt: number,
    correlationId: string,
    from: number,
    run: RunState,
    startedCtx: MessageContext | undefined,
    started: Promise<unknown> | undefined,
  ): Promise<Outcome> {
    for (let i = from; i < entries.length; i++) {
      const entry = entries[i]!;
      let ctx: MessageContext;
      let pending: Promise<unknown> | undefined;
      if (i === from && startedCtx !== undefined) {
        ctx = startedCtx;
        pending = started;
      } else {
        let payload = payloadFor(entry, envelope, run);
        if (payload instanceof Promise) payload = await payload;
        if (payload === INVALID) {
          if (!(await record(delivery, 'validation', validationError(envelope, entry, run.lastIssues ?? []), envelope, entry.name, attempt))) return INFRA;
          run.worst = FAILED;
          continue;
        }
        ctx = new MessageContext(runtime, envelope, attempt, correlationId, entry.name, delivery.queue, delivery);
        pending = invoke(entry, payload, ctx, delivery);
      }
      if (pending === undefined) continue;
      try {
        await pending;
      } catch (thrown) {
        const result = await onHandlerError(delivery, envelope, entry, ctx, thrown, attempt);
        if (result === STOPPED || result === INFRA) return result;
        if (result === FAILED) run.worst = FAILED;
      }
    }
    return run.worst;
  }

  return { run: runHandlers, abortAll: () => invoker.abortAll() };
}
