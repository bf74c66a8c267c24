import type { Page } from '@metro/core';
import { sql, type RawBuilder } from 'kysely';
import type { AnyDatabase } from './any-database.js';
import { InvalidScheduleError } from './errors.js';
import {
  decodeCursor,
  encodeCursor,
  toRecurringSchedule,
  toScheduledMessage,
  type RecurringRow,
  type RecurringSchedule,
  type ScheduledMessage,
  type ScheduledRow,
  type ScheduleStatus,
} from './scheduled-message.js';
import type { SchedulerTables } from './schema-names.js';
import { normalizeTags, type Tags } from './tags.js';

/** Filter of `scheduler.list()`. Every field narrows the result; none lists everything. */
export interface ListFilter {
  readonly type?: string;
  readonly status?: ScheduleStatus;
  /** Schedules whose tags include all of these (compared as strings). */
  readonly tags?: Tags;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
  /** Page size, 1 to 500. Default 50. */
  readonly limit?: number;
}

const STATUSES: ReadonlySet<string> = new Set(['pending', 'fired', 'cancelled']);

/** One page of `scheduled_messages`, ordered by (due_at, id). */
export async function listScheduled(db: AnyDatabase, t: SchedulerTables, filter: ListFilter): Promise<Page<ScheduledMessage>> {
  const limit = filter.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new InvalidScheduleError('`limit` must be an integer from 1 to 500', { limit });
  const where: RawBuilder<unknown>[] = [sql`true`];
  if (filter.type !== undefined) where.push(sql`type = ${filter.type}`);
  if (filter.status !== undefined) {
    if (!STATUSES.has(filter.status)) throw new InvalidScheduleError("`status` must be 'pending', 'fired' or 'cancelled'", { status: filter.status });
    where.push(sql`status = ${filter.status}`);
  }
  if (filter.tags !== undefined) where.push(sql`tags @> ${JSON.stringify(normalizeTags(filter.tags))}::jsonb`);
  if (filter.cursor !== undefined) {
    const after = decodeCursor(filter.cursor);
    if (!after) throw new InvalidScheduleError('`cursor` is not one this API returned; pass nextCursor of the previous page');
    where.push(sql`(due_at, id) > (${after.dueAt}, ${after.id})`);
  }
  const result = await sql<ScheduledRow>`
    SELECT id, type, name, kind, due_at, status, tags, envelope, created_at, fired_at, cancelled_at
    FROM ${t.scheduled} WHERE ${sql.join(where, sql` AND `)}
    ORDER BY due_at, id LIMIT ${limit + 1}`.execute(db);
  const rows = result.rows.slice(0, limit);
  const last = rows[rows.length - 1];
  return {
    items: rows.map(toScheduledMessage),
    nextCursor: result.rows.length > limit && last ? encodeCursor(new Date(last.due_at), last.id) : null,
  };
}

/** Every recurring schedule, by name. */
export async function listRecurring(db: AnyDatabase, t: SchedulerTables): Promise<RecurringSchedule[]> {
  const result = await sql<RecurringRow>`
    SELECT name, cron, timezone, type, kind, template, expires_in_ms, next_at, last_fired_at, fired_count
    FROM ${t.recurring} ORDER BY name`.execute(db);
  return result.rows.map(toRecurringSchedule);
}
