import { createEnvelope, describeDefinition, unroutablePolicyOf, uuidv7, type Codec, type Envelope, type HeaderValue } from '@metro/core';
import { startMetroSpan } from '@metro/core/telemetry';
import { sql } from 'kysely';
import type { AnyDatabase } from './any-database.js';
import { InvalidScheduleError } from './errors.js';
import { runOn } from './executor.js';
import { listScheduled } from './scheduled-listing.js';
import { checkDate, dueTime, withTime } from './schedule-time.js';
import type { Scheduler } from './scheduler.js';
import { NOTIFY_HORIZON_MS, type SchedulerTables } from './schema-names.js';
import { normalizeTags } from './tags.js';

/** What the scheduler's parts share: the database, its tables, the envelopes' source and codec. */
export interface SchedulerParts {
  readonly db: AnyDatabase;
  readonly t: SchedulerTables;
  readonly source: string;
  readonly codec: Codec;
}

/** Schedule ids (also message ids) are at most this long, as recurring schedules' names. */
export const MAX_ID_LENGTH = 200;

/** One-off schedules: schedule, cancel by tags or id, reschedule, list. */
export function createOneOffSchedules({ db, t, source, codec }: SchedulerParts): Pick<Scheduler, 'schedule' | 'cancel' | 'cancelById' | 'reschedule' | 'list'> {
  const notify = (dueMs: number) => sql`SELECT pg_notify(${t.channel}::text, ${String(dueMs)}::text)`;

  return {
    async schedule(trx, message, payload, opts) {
      const dueMs = dueTime(opts);
      const tags = normalizeTags(opts.tags);
      const id = opts.id ?? uuidv7();
      if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) {
        throw new InvalidScheduleError(`\`id\` must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
      }
      // An event keeps its unroutable policy until it fires; a command is always an error when unroutable.
      const unroutable = message.kind === 'event' ? unroutablePolicyOf(message, opts.unroutable) : null;
      const timeMs = Math.max(dueMs, Date.now());
      const envelope = (await createEnvelope(message, payload, { source, id, now: timeMs })) as Envelope;
      const expiresInMs = message.kind === 'command' ? (message.expiresInMs ?? null) : null;
      const encoded = codec.encode(envelope);
      const dueAt = new Date(dueMs);
      // The `schedule` call's span: its firing, maybe hours later, links to it (see traceFiring).
      const span = startMetroSpan(`schedule ${describeDefinition(message)}`, {
        kind: 'internal',
        scope: '@metro/scheduler',
        attributes: { 'metro.schedule.id': id, 'metro.schedule.due_at': dueAt.toISOString() },
      });
      const headers: Record<string, HeaderValue> = { ...encoded.headers };
      span?.inject(headers);
      span?.end();
      await runOn(
        db,
        trx,
        sql`WITH ins AS (
              INSERT INTO ${t.scheduled} (id, type, name, kind, due_at, tags, envelope, body, content_type, headers, expires_in_ms, unroutable)
              VALUES (${id}, ${message.type}, ${describeDefinition(message)}, ${message.kind}, ${dueAt}, ${JSON.stringify(tags)}::jsonb,
                      ${JSON.stringify(envelope)}::jsonb, ${Buffer.from(encoded.body)}, ${encoded.contentType}, ${JSON.stringify(headers)}::jsonb,
                      ${expiresInMs}, ${unroutable})
              ON CONFLICT (id) DO NOTHING
              RETURNING id)
            SELECT ins.id${dueMs - Date.now() <= NOTIFY_HORIZON_MS ? sql`, pg_notify(${t.channel}::text, ${String(dueMs)}::text)` : sql``} FROM ins`,
      );
      return id;
    },

    async cancel(filter) {
      if (filter === null || typeof filter !== 'object' || typeof filter.type !== 'string' || filter.type === '') {
        throw new InvalidScheduleError('cancel needs `type`, the message type of the schedules to cancel');
      }
      const tags = normalizeTags(filter.tags);
      if (filter.topic !== undefined && filter.service !== undefined)
        throw new InvalidScheduleError('cancel takes `topic` (events) or `service` (commands), not both');
      for (const key of ['topic', 'service'] as const) {
        const value = filter[key];
        if (value !== undefined && (typeof value !== 'string' || value === ''))
          throw new InvalidScheduleError(`cancel's \`${key}\` must be a non-empty string`);
      }
      // `name` is describeDefinition(message): `topic.type` for events, `service:type` for commands.
      const name =
        filter.topic !== undefined ? `${filter.topic}.${filter.type}` : filter.service !== undefined ? `${filter.service}:${filter.type}` : undefined;
      const result = await runOn(
        db,
        undefined,
        sql`UPDATE ${t.scheduled} SET status = 'cancelled', cancelled_at = now()
            WHERE status = 'pending' AND type = ${filter.type} AND tags @> ${JSON.stringify(tags)}::jsonb${name !== undefined ? sql` AND name = ${name}` : sql``}`,
      );
      return result.affected;
    },

    async cancelById(id) {
      const result = await runOn(
        db,
        undefined,
        sql`UPDATE ${t.scheduled} SET status = 'cancelled', cancelled_at = now() WHERE id = ${id} AND status = 'pending'`,
      );
      return result.affected > 0;
    },

    async reschedule(id, at) {
      const dueMs = checkDate(at);
      return db.transaction().execute(async (trx) => {
        const found = await runOn<{ envelope: Envelope; expires_in_ms: string | number | null }>(
          db,
          trx,
          sql`SELECT envelope, expires_in_ms FROM ${t.scheduled} WHERE id = ${id} AND status = 'pending' FOR UPDATE`,
        );
        const row = found.rows[0];
        if (!row) return false;
        const expires = row.expires_in_ms === null ? null : Number(row.expires_in_ms);
        const envelope = withTime(row.envelope, Math.max(dueMs, Date.now()), expires);
        const encoded = codec.encode(envelope);
        await runOn(
          db,
          trx,
          sql`UPDATE ${t.scheduled} SET due_at = ${new Date(dueMs)}, envelope = ${JSON.stringify(envelope)}::jsonb,
                body = ${Buffer.from(encoded.body)}, content_type = ${encoded.contentType}, headers = headers || ${JSON.stringify(encoded.headers)}::jsonb
              WHERE id = ${id}`,
        );
        if (dueMs - Date.now() <= NOTIFY_HORIZON_MS) await runOn(db, trx, notify(dueMs));
        return true;
      });
    },

    list(filter = {}) {
      return listScheduled(db, t, filter);
    },
  };
}
