import {
  createEnvelope,
  describeDefinition,
  jsonEnvelopeCodec,
  toMilliseconds,
  uuidv7,
  type Codec,
  type Duration,
  type Envelope,
  type MessageDefinition,
  type Page,
  type PayloadInput,
} from '@metro/core';
import type { Executor } from '@metro/outbox-pg';
import { sql, type Kysely } from 'kysely';
import { nextCronTime } from './cron.js';
import { InvalidScheduleError } from './errors.js';
import { runOn } from './executor.js';
import { listRecurring, listScheduled, type ListFilter } from './scheduled-listing.js';
import type { RecurringSchedule, ScheduledMessage } from './scheduled-message.js';
import { NOTIFY_HORIZON_MS, schedulerTables } from './schema-names.js';
import { normalizeTags, type Tags } from './tags.js';

/** Options of `createScheduler`. */
export interface SchedulerOptions {
  readonly db: Kysely<any>;
  /** Schema of the scheduler's (and the outbox's) tables. Default `metro`. */
  readonly schema?: string;
  /** The service name written as `source` of the envelopes it schedules. */
  readonly source: string;
  /** Encodes one-off schedules when they are scheduled (the bytes the outbox later publishes). Default the JSON envelope codec. */
  readonly codec?: Codec;
}

/** When and how to find a one-off schedule. Give exactly one of `at` and `delay`. */
export interface ScheduleOptions {
  /** Due time. A time in the past fires at once. */
  readonly at?: Date;
  /** Due after this long from now. */
  readonly delay?: Duration;
  /** Labels to cancel or list by; values compare as strings. */
  readonly tags?: Tags;
  /** Schedule id (also the message id). Default a new UUIDv7. Scheduling an id that exists changes nothing (idempotent). */
  readonly id?: string;
}

/** Future and recurring messages on PostgreSQL. See {@link createScheduler}. */
export interface Scheduler {
  /**
   * Validates the payload, builds its envelope and stores it to be put into the outbox when due.
   * With `trx`, the schedule commits (or rolls back) with the caller's writes. Returns the schedule id.
   */
  schedule<D extends MessageDefinition>(trx: Executor | undefined, message: D, payload: PayloadInput<D>, options: ScheduleOptions): Promise<string>;
  /** Cancels every pending schedule of `type` whose tags include all of `tags`; returns how many. */
  cancel(filter: { type: string; tags?: Tags }): Promise<number>;
  /** Cancels one pending schedule; false if it is not pending (fired, cancelled or unknown). */
  cancelById(id: string): Promise<boolean>;
  /** Moves a pending schedule to a new due time; false if it is not pending. */
  reschedule(id: string, at: Date): Promise<boolean>;
  /** One page of schedules ordered by due time, then id. */
  list(filter?: ListFilter): Promise<Page<ScheduledMessage>>;
  /**
   * Declares a recurring message, idempotently by `name`: every instance of a service may declare
   * it and each tick still fires once. Re-declaring updates the payload; changing the cron or time
   * zone recomputes the next tick.
   */
  every<D extends MessageDefinition>(name: string, cron: string, message: D, payload: PayloadInput<D>, options?: { timezone?: string }): Promise<void>;
  /** Removes a recurring schedule; false if there is none by that name. */
  removeRecurring(name: string): Promise<boolean>;
  /** Every recurring schedule, by name. */
  listRecurring(): Promise<RecurringSchedule[]>;
}

const MAX_ID_LENGTH = 200;

/**
 * Creates a scheduler: future messages (`schedule`), cancel by id or tags, and recurring messages
 * (`every`). Run `createSchedulerWorker` somewhere (on every instance is fine) to fire them.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ db, source: 'orders' });
 * await db.transaction().execute(async (trx) => {
 *   await trx.insertInto('orders').values(order).execute();
 *   await scheduler.schedule(trx, OrderReminder, { orderId: order.id }, { delay: '1h', tags: { orderId: order.id } });
 * });
 * await scheduler.cancel({ type: 'reminder', tags: { orderId: order.id } });
 * await scheduler.every('nightly-report', '0 2 * * *', NightlyReport, {}, { timezone: 'Europe/Paris' });
 * ```
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { db, source } = options;
  const codec = options.codec ?? jsonEnvelopeCodec;
  const t = schedulerTables(options.schema);

  function notify(dueMs: number) {
    return sql`SELECT pg_notify(${t.channel}::text, ${String(dueMs)}::text)`;
  }

  function dueTime(opts: ScheduleOptions): number {
    if (opts === null || typeof opts !== 'object') throw new InvalidScheduleError('options are required: give `at` (a Date) or `delay` (a Duration)');
    const hasAt = opts.at !== undefined;
    const hasDelay = opts.delay !== undefined;
    if (hasAt === hasDelay) throw new InvalidScheduleError('give exactly one of `at` (a Date) and `delay` (a Duration)', { at: hasAt, delay: hasDelay });
    if (hasAt) return checkDate(opts.at);
    try {
      return Date.now() + toMilliseconds(opts.delay as Duration);
    } catch (err) {
      throw new InvalidScheduleError(`\`delay\` is not a valid duration (${(err as Error).message})`);
    }
  }

  function withTime(envelope: Envelope, timeMs: number, expiresInMs: number | null): Envelope {
    const { expiresat: _old, ...rest } = envelope;
    return {
      ...rest,
      time: new Date(timeMs).toISOString(),
      ...(expiresInMs !== null ? { expiresat: new Date(timeMs + expiresInMs).toISOString() } : {}),
    } as Envelope;
  }

  return {
    async schedule(trx, message, payload, opts) {
      const dueMs = dueTime(opts);
      const tags = normalizeTags(opts.tags);
      const id = opts.id ?? uuidv7();
      if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH) {
        throw new InvalidScheduleError(`\`id\` must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
      }
      const timeMs = Math.max(dueMs, Date.now());
      const envelope = (await createEnvelope(message, payload, { source, id, now: timeMs })) as Envelope;
      const expiresInMs = message.kind === 'command' ? (message.expiresInMs ?? null) : null;
      const encoded = codec.encode(envelope);
      const dueAt = new Date(dueMs);
      await runOn(
        db,
        trx,
        sql`WITH ins AS (
              INSERT INTO ${t.scheduled} (id, type, name, kind, due_at, tags, envelope, body, content_type, headers, expires_in_ms)
              VALUES (${id}, ${message.type}, ${describeDefinition(message)}, ${message.kind}, ${dueAt}, ${JSON.stringify(tags)}::jsonb,
                      ${JSON.stringify(envelope)}::jsonb, ${Buffer.from(encoded.body)}, ${encoded.contentType}, ${JSON.stringify(encoded.headers)}::jsonb, ${expiresInMs})
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
      const result = await runOn(
        db,
        undefined,
        sql`UPDATE ${t.scheduled} SET status = 'cancelled', cancelled_at = now()
            WHERE status = 'pending' AND type = ${filter.type} AND tags @> ${JSON.stringify(tags)}::jsonb`,
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
                body = ${Buffer.from(encoded.body)}, content_type = ${encoded.contentType}, headers = ${JSON.stringify(encoded.headers)}::jsonb
              WHERE id = ${id}`,
        );
        if (dueMs - Date.now() <= NOTIFY_HORIZON_MS) await runOn(db, trx, notify(dueMs));
        return true;
      });
    },

    list(filter = {}) {
      return listScheduled(db, t, filter);
    },

    async every(name, cron, message, payload, opts = {}) {
      if (typeof name !== 'string' || name === '' || name.length > MAX_ID_LENGTH) {
        throw new InvalidScheduleError(`a recurring schedule needs a name of 1 to ${MAX_ID_LENGTH} characters`);
      }
      const timezone = opts.timezone ?? 'UTC';
      const nextAt = nextCronTime(cron, timezone, new Date());
      const template = (await createEnvelope(message, payload, { source })) as Envelope;
      const expiresInMs = message.kind === 'command' ? (message.expiresInMs ?? null) : null;
      await runOn(
        db,
        undefined,
        sql`WITH up AS (
              INSERT INTO ${t.recurring} AS r (name, cron, timezone, type, kind, template, expires_in_ms, next_at)
              VALUES (${name}, ${cron}, ${timezone}, ${message.type}, ${message.kind}, ${JSON.stringify(template)}::jsonb, ${expiresInMs}, ${nextAt})
              ON CONFLICT (name) DO UPDATE SET
                template = excluded.template, type = excluded.type, kind = excluded.kind, expires_in_ms = excluded.expires_in_ms,
                next_at = CASE WHEN r.cron IS DISTINCT FROM excluded.cron OR r.timezone IS DISTINCT FROM excluded.timezone
                               THEN excluded.next_at ELSE r.next_at END,
                cron = excluded.cron, timezone = excluded.timezone, updated_at = now()
              RETURNING next_at)
            SELECT pg_notify(${t.channel}::text, (floor(extract(epoch from up.next_at) * 1000))::bigint::text) FROM up`,
      );
    },

    async removeRecurring(name) {
      const result = await runOn(db, undefined, sql`DELETE FROM ${t.recurring} WHERE name = ${name}`);
      return result.affected > 0;
    },

    listRecurring() {
      return listRecurring(db, t);
    },
  };
}

function checkDate(at: unknown): number {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new InvalidScheduleError('`at` must be a valid Date', { at: String(at) });
  }
  return at.getTime();
}
