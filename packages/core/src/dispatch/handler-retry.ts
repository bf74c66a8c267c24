import type { Envelope } from '../envelope.js';
import { toError } from '../errors.js';
import { copyForHandler } from '../copy-for-handler.js';
import { retryDelay, shouldRetry } from '../retry-policy.js';
import type { Delivery, Transport } from '../transport.js';
import type { RecordFailure } from './failure-recorder.js';
import type { MessageContext } from './handler-context.js';
import type { HandlerEntry } from './handler-entry.js';
import { StopAbort } from './handler-invoker.js';
import { FAILED, INFRA, STOPPED } from './outcome.js';
import { SemanticAttributes } from '../telemetry/messaging-attributes.js';
import { metroMetrics } from '../telemetry/metro-metrics.js';

/** What a handler's error leads to: `STOPPED` or `INFRA` end the message; `FAILED` (retry scheduled or failure recorded) and undefined (deferred) go on to the next handler. */
export type HandlerErrorResult = typeof STOPPED | typeof INFRA | typeof FAILED | undefined;

/**
 * Handles the error one handler threw: when its retry policy allows, publishes a copy for that
 * handler alone with the next attempt's delay; otherwise records the failure.
 *
 * @example
 * ```ts
 * const onError = createHandlerRetry(transport, record);
 * const result = await onError(delivery, envelope, entry, ctx, err, attempt);
 * ```
 */
export function createHandlerRetry(
  transport: Transport,
  record: RecordFailure,
): (delivery: Delivery, envelope: Envelope, entry: HandlerEntry, ctx: MessageContext, thrown: unknown, attempt: number) => Promise<HandlerErrorResult> {
  return async function onHandlerError(delivery, envelope, entry, ctx, thrown, attempt): Promise<HandlerErrorResult> {
    if (thrown instanceof StopAbort) return STOPPED;
    if (ctx.deferredSeq !== undefined) {
      ctx.logger.warn({ err: toError(thrown), seq: ctx.deferredSeq }, 'handler threw after ctx.defer(); the message stays deferred');
      return undefined;
    }
    const error = toError(thrown);
    if (shouldRetry(entry.retry, error, attempt)) {
      const delayMs = retryDelay(entry.retry, attempt);
      try {
        await transport.publish(copyForHandler(delivery, envelope, { attempt: attempt + 1, handler: entry.name, delayMs, linkFirstAttempt: true }));
        ctx.logger.info({ err: error, attempt, delayMs }, 'handler failed; retry scheduled');
        metroMetrics()?.retried.add(1, { [SemanticAttributes.destinationName]: delivery.queue, [SemanticAttributes.handler]: entry.name });
      } catch (err) {
        ctx.logger.error({ err: toError(err) }, 'could not publish a retry; the message will be requeued');
        return INFRA;
      }
      return FAILED;
    }
    return (await record(delivery, 'handler', error, envelope, entry.name, attempt)) ? FAILED : INFRA;
  };
}
