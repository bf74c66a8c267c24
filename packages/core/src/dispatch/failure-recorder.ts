import type { Envelope } from '../envelope.js';
import { toError } from '../errors.js';
import { deterministicId } from '../id.js';
import type { Logger } from '../logger.js';
import { recordError } from '../recorded-error.js';
import { recordHeadersOf } from '../record-headers.js';
import type { FailureReason, FailureStore } from '../stores/failure-store.js';
import type { Delivery } from '../transport.js';
import { SemanticAttributes } from '../telemetry/messaging-attributes.js';
import { metroMetrics } from '../telemetry/metro-metrics.js';
import { failureTraceId } from '../telemetry/failure-trace.js';

/** Writes a failure record for a delivery; resolves false (after logging) when the store is unavailable. */
export type RecordFailure = (
  delivery: Delivery,
  reason: FailureReason,
  error: unknown,
  envelope: Envelope | null,
  handler: string | null,
  attempts: number,
  body?: Uint8Array,
) => Promise<boolean>;

/**
 * Builds the function the dispatcher records failures with (internal): the message id is the
 * envelope's, else the transport's, else a new one; headers keep where the message came from.
 *
 * @example
 * ```ts
 * const record = createFailureRecorder({ service: 'billing', failures, logger });
 * if (!(await record(delivery, 'decode', err, null, null, 1))) await delivery.requeue();
 * ```
 */
export function createFailureRecorder(deps: { service: string; failures: FailureStore; logger: Logger }): RecordFailure {
  const { service, failures } = deps;
  const { logger } = deps;
  return async function record(
    delivery: Delivery,
    reason: FailureReason,
    error: unknown,
    envelope: Envelope | null,
    handler: string | null,
    attempts: number,
    body: Uint8Array = delivery.body,
  ): Promise<boolean> {
    // Bytes with no id of their own (pika and most foreign producers send none) get one derived from
    // the queue and the bytes, so a redelivery after a crash between this write and the ack upserts
    // the same record instead of adding a second.
    const messageId = envelope?.id ?? (delivery.messageId || deterministicId(delivery.queue, delivery.body));
    try {
      await failures.record({
        messageId,
        service,
        queue: delivery.queue,
        handler,
        reason,
        type: envelope?.type ?? null,
        topic: envelope?.topic ?? delivery.topic ?? null,
        correlationId: envelope?.correlationid ?? null,
        envelope,
        body,
        contentType: delivery.contentType,
        headers: recordHeadersOf(delivery),
        error: recordError(error),
        attempts,
        traceId: failureTraceId(delivery, envelope),
      });
      metroMetrics()?.failed.add(1, { [SemanticAttributes.destinationName]: delivery.queue, [SemanticAttributes.failureReason]: reason });
      logger.warn({ service, queue: delivery.queue, messageId, handler, reason, err: toError(error) }, `message recorded as failed (${reason})`);
      return true;
    } catch (err) {
      logger.error({ service, queue: delivery.queue, messageId, err: toError(err) }, 'could not record a failure; the message will be requeued');
      return false;
    }
  };
}
