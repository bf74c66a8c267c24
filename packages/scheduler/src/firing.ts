import { uuidv7, type Codec, type Envelope, type UnroutablePolicy } from '@metro/core';
import type { createOutbox, EnqueueMessage } from '@metro/outbox-pg';
import { sql } from 'kysely';
import type { AnyDatabase } from './any-database.js';
import { nextCronTime } from './cron.js';
import type { RecurringRow } from './scheduled-message.js';
import type { SchedulerTables } from './schema-names.js';
import { traceFiring } from './firing-telemetry.js';

/** How a fired one-off message is named in its span: `orders.reminder` / `sms:send`. */
function describeFired(envelope: Envelope): string {
  return envelope.kind === 'event' ? `${envelope.topic ?? ''}.${envelope.type}` : `${envelope.service ?? ''}:${envelope.type}`;
}

type Outbox = ReturnType<typeof createOutbox>;

interface DueRow {
  id: string;
  due_at: Date;
  envelope: Envelope;
  body: Uint8Array;
  content_type: string;
  headers: Record<string, string>;
  unroutable: UnroutablePolicy | null;
}

/**
 * In one transaction: claims up to `limit` due one-off schedules (oldest first, skipping rows
 * another worker holds), marks them fired and enqueues their messages in the outbox. A crash
 * before COMMIT leaves them pending for the next worker. Returns how many fired.
 */
export async function fireDueSchedules(db: AnyDatabase, t: SchedulerTables, outbox: Outbox, limit: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const claimed = await sql<DueRow>`
      WITH due AS (
        SELECT id FROM ${t.scheduled}
        WHERE status = 'pending' AND due_at <= clock_timestamp()
        ORDER BY due_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      UPDATE ${t.scheduled} AS s SET status = 'fired', fired_at = now()
      FROM due WHERE s.id = due.id
      RETURNING s.id, s.due_at, s.envelope, s.body, s.content_type, s.headers, s.unroutable`.execute(trx);
    const rows = [...claimed.rows].sort((a, b) => new Date(a.due_at).getTime() - new Date(b.due_at).getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // One insert for the batch (per 1,000), in due order, instead of one per schedule.
    await outbox.enqueueMany(
      trx,
      rows.map((row) => ({
        envelope: row.envelope,
        options: {
          body: new Uint8Array(row.body),
          contentType: row.content_type,
          headers: traceFiring(row.headers, row.due_at, describeFired(row.envelope), row.id),
          ...(row.unroutable !== null ? { unroutable: row.unroutable } : {}),
        },
      })),
    );
    return rows.length;
  });
}

/**
 * In one transaction: claims due recurring schedules, enqueues one message per schedule for its
 * due tick, and moves each to its next tick after now (missed ticks while no worker ran fire once,
 * not once each). Returns how many fired.
 */
export async function fireDueRecurring(db: AnyDatabase, t: SchedulerTables, outbox: Outbox, codec: Codec, limit: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const claimed = await sql<RecurringRow>`
      SELECT name, cron, timezone, type, kind, template, expires_in_ms, next_at, last_fired_at, fired_count, unroutable
      FROM ${t.recurring}
      WHERE next_at <= clock_timestamp()
      ORDER BY next_at, name
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED`.execute(trx);
    const messages: EnqueueMessage[] = [];
    for (const row of claimed.rows) {
      const tickMs = new Date(row.next_at).getTime();
      const envelope = tickEnvelope(row, tickMs);
      const encoded = codec.encode(envelope);
      messages.push({
        envelope,
        options: {
          body: encoded.body,
          contentType: encoded.contentType,
          headers: traceFiring(encoded.headers, row.next_at, row.name, row.name),
          ...(row.unroutable !== null ? { unroutable: row.unroutable } : {}),
        },
      });
      let next: Date;
      try {
        next = nextCronTime(row.cron, row.timezone, new Date(Math.max(Date.now(), tickMs)));
      } catch {
        // Stored by `every()` after validation, so only a changed time zone database lands here: retry in an hour.
        next = new Date(Date.now() + 3_600_000);
      }
      await sql`UPDATE ${t.recurring} SET next_at = ${next}, last_fired_at = now(), fired_count = fired_count + 1 WHERE name = ${row.name}`.execute(trx);
    }
    await outbox.enqueueMany(trx, messages);
    return claimed.rows.length;
  });
}

/** The message of one tick: the declared template with a new id, the tick as its time, a correlation of its own. */
function tickEnvelope(row: RecurringRow, tickMs: number): Envelope {
  const { expiresat: _e, causationid: _c, traceparent: _t, correlationid: _r, ...template } = row.template;
  const id = uuidv7();
  const expires = row.expires_in_ms === null ? null : Number(row.expires_in_ms);
  const base = Math.max(tickMs, Date.now());
  return {
    ...template,
    id,
    time: new Date(tickMs).toISOString(),
    correlationid: id,
    ...(expires !== null ? { expiresat: new Date(base + expires).toISOString() } : {}),
  } as Envelope;
}

/** Milliseconds from now (database clock) to the earliest pending one-off and recurring due times; null where none. */
export async function millisecondsUntilNextDue(db: AnyDatabase, t: SchedulerTables): Promise<{ scheduled: number | null; recurring: number | null }> {
  const result = await sql<{ scheduled_ms: string | number | null; recurring_ms: string | number | null }>`
    SELECT extract(epoch from ((SELECT min(due_at) FROM ${t.scheduled} WHERE status = 'pending') - clock_timestamp())) * 1000 AS scheduled_ms,
           extract(epoch from ((SELECT min(next_at) FROM ${t.recurring}) - clock_timestamp())) * 1000 AS recurring_ms`.execute(db);
  const row = result.rows[0];
  const num = (v: string | number | null | undefined) => (v === null || v === undefined ? null : Number(v));
  return { scheduled: num(row?.scheduled_ms), recurring: num(row?.recurring_ms) };
}
