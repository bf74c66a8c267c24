// The rows the outbox benches write: one body for every event, a row for the latency runs' producer,
// and a bulk fill for the throughput rounds. Used by outbox-relay.bench.ts and
// support/outbox-latency-probe.ts.
import { sql, type Kysely } from 'kysely';
import { uuidv7 } from '@metro/core';
import type { OutboxRowInput } from '@metro/outbox-pg';

/** Every event's body: about 190 bytes of JSON. */
export const OUTBOX_BODY = Buffer.from(JSON.stringify({ orderId: 'x'.repeat(150), amount: 42 }));

/**
 * One event for `topic` (subject `evt`), with a fresh message id.
 *
 * @example
 * ```ts
 * await db.transaction().execute((trx) => insertOutboxRows(db, schema, trx, [outboxRow(topic)]));
 * ```
 */
export function outboxRow(topic: string): OutboxRowInput {
  return {
    messageId: uuidv7(),
    type: 'evt',
    destination: { kind: 'topic', topic, subject: 'evt' },
    aggregateId: null,
    body: OUTBOX_BODY,
    contentType: 'application/json',
    headers: {},
    expiresAt: null,
  };
}

/**
 * Inserts `rows` pending events for `topic` into `schema`.outbox in one statement.
 *
 * @example
 * ```ts
 * await fillOutbox(db, schema, topic, 40_000);
 * ```
 */
export async function fillOutbox(db: Kysely<any>, schema: string, topic: string, rows: number): Promise<void> {
  await sql`insert into ${sql.id(schema, 'outbox')} (message_id, type, destination, body, content_type, headers)
    select gen_random_uuid()::text, 'evt', ${JSON.stringify({ kind: 'topic', topic, subject: 'evt' })}::jsonb, ${OUTBOX_BODY}, 'application/json', '{}'::jsonb
    from generate_series(1, ${rows})`.execute(db);
}
