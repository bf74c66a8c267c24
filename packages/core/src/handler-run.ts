import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Envelope } from './envelope.js';
import { HandlerTimeoutError, MetroError, ValidationError, toError } from './errors.js';
import { MessageContext, type ContextRuntime } from './handler-context.js';
import type { HandlerEntry } from './handler-entry.js';
import type { RecordFailure } from './failure-recorder.js';
import { retryHeaders } from './replay.js';
import { retryDelay, shouldRetry } from './retry-policy.js';
import type { Inbox } from './stores/inbox.js';
import type { Delivery, Transport } from './transport.js';

/** Per-message state of a handler run (one small object instead of closures). */
export interface RunState {
  worst: Outcome;
  lastSchema: StandardSchemaV1 | undefined;
  lastPayload: unknown;
  lastIssues: ReadonlyArray<StandardSchemaV1.Issue> | undefined;
}

export const OK = 0;
export const FAILED = 1;
export const INFRA = 2;
export const STOPPED = 3;
export type Outcome = typeof OK | typeof FAILED | typeof INFRA | typeof STOPPED;

/** Rejects a running handler's wait when Metro stops past its timeout (the message is requeued). */
export class StopAbort extends MetroError<'STOPPING'> {
  constructor() {
    super('STOPPING', 'Metro is stopping: the handler was aborted and its message requeued.');
  }
}

/** True for promises and other thenables. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
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
  /** Rejects every running handler's wait with {@link StopAbort} and aborts its signal. */
  abortAll(): void;
}

/**
 * Builds the handler runner (internal): validation (cached per schema within a message),
 * timeouts, the inbox, per-handler retries and failure records.
 *
 * @example
 * ```ts
 * const runner = createHandlerRunner({ service, runtime, transport, inbox, record });
 * const outcome = await runner.run(delivery, envelope, entries, 1, envelope.id);
 * ```
 */
export function createHandlerRunner(deps: HandlerRunnerDeps): HandlerRunner {
  const { service, runtime, transport, inbox, record } = deps;
  const running = new Map<MessageContext, (reason: unknown) => void>();

  function guard(result: PromiseLike<unknown>, entry: HandlerEntry, ctx: MessageContext): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const fail = (reason: unknown): void => {
        clearTimeout(timer);
        running.delete(ctx);
        ctx.abort(reason);
        reject(reason);
      };
      const timer = setTimeout(() => fail(new HandlerTimeoutError(entry.name, entry.timeoutMs)), entry.timeoutMs);
      running.set(ctx, fail);
      result.then(
        (value) => {
          clearTimeout(timer);
          running.delete(ctx);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          running.delete(ctx);
          reject(err);
        },
      );
    });
  }

  /** Runs one handler; returns a promise only when something is asynchronous. */
  function invoke(entry: HandlerEntry, payload: unknown, ctx: MessageContext): Promise<unknown> | undefined {
    if (entry.inbox && inbox !== undefined) {
      return inbox
        .run({ consumer: `${service}:${entry.name}`, messageId: ctx.envelope.id }, (trx) => {
          ctx.trx = trx;
          const r = entry.fn(payload, ctx);
          return isThenable(r) ? guard(r, entry, ctx) : Promise.resolve(r);
        })
        .then((result) => {
          if (result.duplicate) ctx.logger.debug({}, 'duplicate skipped by the inbox');
        });
    }
    const r = entry.fn(payload, ctx);
    return isThenable(r) ? guard(r, entry, ctx) : undefined;
  }

  /** Handles a handler's error: schedules its retry or records its failure. Returns an outcome that ends the message, or undefined to go on. */
  async function onHandlerError(delivery: Delivery, envelope: Envelope, entry: HandlerEntry, ctx: MessageContext, thrown: unknown, attempt: number, run: RunState): Promise<Outcome | undefined> {
    if (thrown instanceof StopAbort) return STOPPED;
    if (ctx.deferredSeq !== undefined) {
      ctx.logger.warn({ err: toError(thrown), seq: ctx.deferredSeq }, 'handler threw after ctx.defer(); the message stays deferred');
      return undefined;
    }
    const error = toError(thrown);
    if (shouldRetry(entry.retry, error, attempt)) {
      const delayMs = retryDelay(entry.retry, attempt);
      try {
        await transport.publish({
          destination: { kind: 'queue', queue: delivery.queue },
          body: delivery.body,
          messageId: delivery.messageId || envelope.id,
          contentType: delivery.contentType,
          headers: retryHeaders(delivery, { attempt: attempt + 1, handler: entry.name, delayMs }),
          delayMs,
          ...(delivery.priority !== undefined ? { priority: delivery.priority } : {}),
          ...(delivery.timestamp !== undefined ? { timestamp: delivery.timestamp } : {}),
        });
        ctx.logger.info({ err: error, attempt, delayMs }, 'handler failed; retry scheduled');
      } catch (err) {
        ctx.logger.error({ err: toError(err) }, 'could not publish a retry; the message will be requeued');
        return INFRA;
      }
      run.worst = FAILED;
      return undefined;
    }
    if (!(await record(delivery, 'handler', error, envelope, entry.name, attempt))) return INFRA;
    run.worst = FAILED;
    return undefined;
  }

  function validationError(envelope: Envelope, entry: HandlerEntry, issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationError {
    return new ValidationError(
      `Payload of "${envelope.type}" for handler "${entry.name}"`,
      issues.map((issue) => ({ message: issue.message, path: issue.path?.map((p) => (typeof p === 'object' && p !== null ? p.key : p)) })),
    );
  }

  /**
   * Runs the handlers of one message in order. Synchronous for as long as everything is (sync
   * validation, handlers returning no promise): no promise is made on that path. At the first
   * asynchronous step it hands over to {@link runHandlersAsync} from that handler on.
   */
  function runHandlers(delivery: Delivery, envelope: Envelope, entries: ReadonlyArray<HandlerEntry>, attempt: number, correlationId: string): Outcome | Promise<Outcome> {
    const run: RunState = { worst: OK, lastSchema: undefined, lastPayload: undefined, lastIssues: undefined };
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      let payload: unknown = envelope.data;
      if (entry.schema !== undefined) {
        if (entry.schema !== run.lastSchema) {
          const result = entry.schema['~standard'].validate(envelope.data);
          if (result instanceof Promise) return runHandlersAsync(delivery, envelope, entries, attempt, correlationId, i, run, undefined, undefined);
          run.lastSchema = entry.schema;
          run.lastIssues = result.issues;
          run.lastPayload = result.issues ? undefined : result.value;
        }
        if (run.lastIssues) return runHandlersAsync(delivery, envelope, entries, attempt, correlationId, i, run, undefined, undefined);
        payload = run.lastPayload;
      }
      const ctx = new MessageContext(runtime, envelope, attempt, correlationId, entry.name, delivery.queue, delivery);
      let pending: Promise<unknown> | undefined;
      try {
        pending = invoke(entry, payload, ctx);
      } catch (thrown) {
        pending = Promise.reject(thrown);
      }
      if (pending !== undefined) return runHandlersAsync(delivery, envelope, entries, attempt, correlationId, i, run, ctx, pending);
    }
    return run.worst;
  }

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
        let payload: unknown = envelope.data;
        if (entry.schema !== undefined) {
          if (entry.schema !== run.lastSchema) {
            let result = entry.schema['~standard'].validate(envelope.data);
            if (result instanceof Promise) result = await result;
            run.lastSchema = entry.schema;
            run.lastIssues = result.issues;
            run.lastPayload = result.issues ? undefined : result.value;
          }
          if (run.lastIssues) {
            if (!(await record(delivery, 'validation', validationError(envelope, entry, run.lastIssues), envelope, entry.name, attempt))) return INFRA;
            run.worst = FAILED;
            continue;
          }
          payload = run.lastPayload;
        }
        ctx = new MessageContext(runtime, envelope, attempt, correlationId, entry.name, delivery.queue, delivery);
        try {
          pending = invoke(entry, payload, ctx);
        } catch (thrown) {
          pending = Promise.reject(thrown);
        }
      }
      if (pending === undefined) continue;
      try {
        await pending;
      } catch (thrown) {
        const end = await onHandlerError(delivery, envelope, entry, ctx, thrown, attempt, run);
        if (end !== undefined) return end;
      }
    }
    return run.worst;
  }

  return {
    run: runHandlers,
    abortAll(): void {
      for (const fail of [...running.values()]) fail(new StopAbort());
    },
  };
}
