import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { FailureQuery } from '@metro/core';

/** Counts of failed messages: by status, by type, by error and over time. */
export interface FailureStats {
  readonly byStatus: { readonly failed: number; readonly retried: number; readonly resolved: number; readonly deleted: number };
  readonly byType: ReadonlyArray<{ readonly type: string | null; readonly count: number }>;
  readonly byError: ReadonlyArray<{ readonly error: string; readonly count: number }>;
  /** Failures per bucket of `lastFailedAt`, oldest bucket first. */
  readonly overTime: ReadonlyArray<{ readonly bucket: string; readonly count: number }>;
  readonly bucket: 'minute' | 'hour' | 'day';
}

function conditions(query: FailureQuery, includeStatus: boolean): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [sql`true`];
  if (query.type !== undefined) parts.push(sql`type = ${query.type}`);
  if (query.topic !== undefined) parts.push(sql`topic = ${query.topic}`);
  if (query.service !== undefined) parts.push(sql`service = ${query.service}`);
  if (query.queue !== undefined) parts.push(sql`queue = ${query.queue}`);
  if (query.reason !== undefined) parts.push(sql`reason = ${query.reason}`);
  if (query.from !== undefined) parts.push(sql`last_failed_at >= ${query.from}`);
  if (query.to !== undefined) parts.push(sql`last_failed_at < ${query.to}`);
  if (query.text !== undefined) {
    const like = `%${query.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    parts.push(
      sql`(error_message ilike ${like} or error_name ilike ${like} or coalesce(error_code, '') ilike ${like} or coalesce(type, '') ilike ${like} or message_id ilike ${like})`,
    );
  }
  if (includeStatus) {
    const statuses = query.status === undefined ? ['failed', 'retried', 'resolved'] : typeof query.status === 'string' ? [query.status] : [...query.status];
    parts.push(sql`status in (${sql.join(statuses)})`);
  }
  return sql.join(parts, sql` and `);
}

/**
 * Aggregates the failed-messages table (outbox-pg's `failed_messages`) with the same filters as
 * `failed.list`. Status counts ignore the status filter; the other breakdowns honour it.
 */
export async function failureStats(db: Kysely<any>, schema: string, query: FailureQuery, bucket: 'minute' | 'hour' | 'day'): Promise<FailureStats> {
  const table = sql.id(schema, 'failed_messages');
  const all = conditions(query, false);
  const filtered = conditions(query, true);
  const span = bucket === 'minute' ? '2 hours' : bucket === 'hour' ? '2 days' : '60 days';
  const [status, types, errors, time] = await Promise.all([
    sql<{ status: string; count: string }>`select status, count(*) as count from ${table} where ${all} group by status`.execute(db),
    sql<{ type: string | null; count: string }>`select type, count(*) as count from ${table} where ${filtered} group by type order by count(*) desc limit 20`.execute(db),
    sql<{ error: string; count: string }>`select coalesce(error_code, error_name) as error, count(*) as count from ${table} where ${filtered} group by 1 order by count(*) desc limit 20`.execute(db),
    sql<{ bucket: Date; count: string }>`select date_trunc(${bucket}, last_failed_at) as bucket, count(*) as count from ${table}
      where ${filtered} and last_failed_at >= now() - ${span}::interval group by 1 order by 1`.execute(db),
  ]);
  const byStatus = { failed: 0, retried: 0, resolved: 0, deleted: 0 };
  for (const row of status.rows) {
    if (row.status in byStatus) byStatus[row.status as keyof typeof byStatus] = Number(row.count);
  }
  return {
    byStatus,
    byType: types.rows.map((r) => ({ type: r.type, count: Number(r.count) })),
    byError: errors.rows.map((r) => ({ error: r.error, count: Number(r.count) })),
    overTime: time.rows.map((r) => ({ bucket: new Date(r.bucket).toISOString(), count: Number(r.count) })),
    bucket,
  };
}
