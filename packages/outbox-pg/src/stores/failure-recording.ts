import { sql } from 'kysely';
import { uuidv7, type FailureRecord, type NewFailure } from '@metro/core';
import { toFailureRecord, type FailureRow, type FailureTable } from './failure-rows.js';

/**
 * Records a failure: one row per (message id, queue, handler). A message that fails again (a
 * redelivery, or a replay that failed once more) updates its row: attempts add up, the latest
 * failure's facts replace the earlier ones, and the row is `failed` again.
 *
 * @example
 * ```ts
 * const record = await recordFailure({ db, schema: 'metro' }, failure);
 * ```
 */
export async function recordFailure({ db, schema }: FailureTable, failure: NewFailure): Promise<FailureRecord> {
  const now = new Date();
  const values = {
    id: uuidv7(now.getTime()),
    message_id: failure.messageId,
    service: failure.service,
    queue: failure.queue,
    handler: failure.handler,
    handler_key: failure.handler ?? '',
    reason: failure.reason,
    type: failure.type,
    topic: failure.topic,
    correlation_id: failure.correlationId,
    envelope: failure.envelope === null ? null : sql`cast(${JSON.stringify(failure.envelope)} as jsonb)`,
    body: Buffer.from(failure.body),
    content_type: failure.contentType,
    headers: sql`cast(${JSON.stringify(failure.headers)} as jsonb)`,
    error_name: failure.error.name,
    error_code: failure.error.code ?? null,
    error_message: failure.error.message,
    error_stack: failure.error.stack ?? null,
    attempts: failure.attempts,
    trace_id: failure.traceId ?? null,
    status: 'failed',
    first_failed_at: now,
    last_failed_at: now,
    retry_count: 0,
  };
  const row = (await db
    .withSchema(schema)
    .insertInto('failed_messages')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['message_id', 'queue', 'handler_key']).doUpdateSet((eb) => ({
        attempts: sql`${sql.ref('failed_messages.attempts')} + ${eb.ref('excluded.attempts')}`,
        last_failed_at: eb.ref('excluded.last_failed_at'),
        status: 'failed',
        resolved_at: null,
        service: eb.ref('excluded.service'),
        handler: eb.ref('excluded.handler'),
        reason: eb.ref('excluded.reason'),
        type: eb.ref('excluded.type'),
        topic: eb.ref('excluded.topic'),
        correlation_id: eb.ref('excluded.correlation_id'),
        envelope: eb.ref('excluded.envelope'),
        body: eb.ref('excluded.body'),
        content_type: eb.ref('excluded.content_type'),
        headers: eb.ref('excluded.headers'),
        error_name: eb.ref('excluded.error_name'),
        error_code: eb.ref('excluded.error_code'),
        error_message: eb.ref('excluded.error_message'),
        error_stack: eb.ref('excluded.error_stack'),
        trace_id: eb.ref('excluded.trace_id'),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow()) as FailureRow;
  return toFailureRecord(row);
}
