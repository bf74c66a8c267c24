import { HandlerTimeoutError, MetroError } from '../errors.js';
import type { Inbox } from '../stores/inbox.js';
import { isThenable } from '../thenable.js';
import type { HandlerEntry } from './handler-entry.js';
import type { MessageContext } from './handler-context.js';
import { SemanticAttributes } from '../telemetry/messaging-attributes.js';
import { metroMetrics } from '../telemetry/metro-metrics.js';

/** Rejects a running handler's wait when the bus stops past its timeout (the message is requeued). */
export class StopAbort extends MetroError<'STOPPING'> {
  constructor() {
    super('STOPPING', 'Metro is stopping: the handler was aborted and its message requeued.');
  }
}

/** Calls one handler: its timeout, its inbox, and the abort of every running handler at stop. */
export interface HandlerInvoker {
  /** Runs one handler; returns a promise only when something is asynchronous. */
  invoke(entry: HandlerEntry, payload: unknown, ctx: MessageContext): Promise<unknown> | undefined;
  /** Rejects every running handler's wait with {@link StopAbort} and aborts its signal. */
  abortAll(): void;
}

/**
 * Builds the handler invoker of one dispatcher (internal).
 *
 * @example
 * ```ts
 * const invoker = createHandlerInvoker('billing', inbox);
 * const pending = invoker.invoke(entry, payload, ctx);
 * if (pending) await pending;
 * ```
 */
export function createHandlerInvoker(service: string, inbox: Inbox | undefined): HandlerInvoker {
  const running = new Map<MessageContext, (reason: unknown) => void>();

  /** Waits for an asynchronous handler, failing it with a timeout error after `entry.timeoutMs`. */
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

  return {
    invoke(entry, payload, ctx) {
      if (entry.inbox && inbox !== undefined) {
        return inbox
          .run({ consumer: `${service}:${entry.name}`, messageId: ctx.envelope.id }, (trx) => {
            ctx.trx = trx;
            const r = entry.fn(payload, ctx);
            return isThenable(r) ? guard(r, entry, ctx) : Promise.resolve(r);
          })
          .then((result) => {
            if (!result.duplicate) return;
            ctx.logger.debug({}, 'duplicate skipped by the inbox');
            metroMetrics()?.inboxDuplicates.add(1, { [SemanticAttributes.service]: service, [SemanticAttributes.handler]: entry.name });
          });
      }
      const r = entry.fn(payload, ctx);
      return isThenable(r) ? guard(r, entry, ctx) : undefined;
    },
    abortAll(): void {
      for (const fail of [...running.values()]) fail(new StopAbort());
    },
  };
}
