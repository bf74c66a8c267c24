import { sql, type Kysely } from 'kysely';
import { FAILURE_STATUSES, type FailureQuery, type FailureStatus } from '@metro/core';
import { failureWhere } from './failure-query.js';

/** The width of one `overTime` bucket, and how far back the series goes (2 hours, 2 days, 60 days). */
export type FailureStatsBucket = 'minute' | 'hour' | 'day';

const SPAN: Record<FailureStatsBucket, string> = { minute: '2 hours', hour: '2 days', day: '60 days' };

/** Counts of failed messages for dashboards: what `PgFailureStore.stats` and the admin's `failed.stats` return. */
export interface FailureStats {
  /** Every record matching the filter but its status, whatever the status. */
  readonly total: number;
  /** Counts per status; the filter's `status` is ignored here, so every status shows. */
  readonly byStatus: Record<FailureStatus, number>;
  /** Counts per reason (`handler`, `decode`, ...). */
  readonly byReason: Record<string, number>;
  /** The 20 most frequent message types (`null`: never decoded). */
  readonly byType: ReadonlyArray<{ readonly type: string | null; readonly count: number }>;
  /** The 20 most frequent errors, by code where the error has one, else by class name. */
  readonly byError: ReadonlyArray<{ readonly error: string; readonly count: number }>;
  /** Failures per bucket of their last failure, oldest bucket first. */
  readonly overTime: ReadonlyArray<{ readonly bucket: string; readonly count: number }>;
  /** The width of the `overTime` buckets. */
  readonly bucket: FailureStatsBucket;
}

/**
 * Aggregates `<schema>.failed_messages` with the same filter as a listing (`failureWhere`): the
 * breakdowns honour every field of `query` (status default: all but `deleted`); `byStatus` and
 * `total` honour all but `status`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function failureStats(db: Kysely<any>, schema: string, query: FailureQuery, bucket: FailureStatsBucket = 'hour'): Promise<FailureStats> {
  const table = () => db.withSchema(schema).selectFrom('failed_messages');
  const anyStatus: FailureQuery = { ...query, status: FAILURE_STATUSES };
  const all = () => table().where((eb) => failureWhere(eb, anyStatus, false));
  const filtered = () => table().where((eb) => failureWhere(eb, query, false));
  const count = sql<number>`count(*)::int`.as('n');
  const [statusRows, reasonRows, typeRows, errorRows, timeRows] = await Promise.all([
    all().select(['status', count]).groupBy('status').execute(),
    filtered().select(['reason', count]).groupBy('reason').execute(),
    filtered().select(['type', count]).groupBy('type').orderBy('n', 'desc').limit(20).execute(),
    filtered()
      .select([sql<string>`coalesce(error_code, error_name)`.as('error'), count])
      .groupBy(sql`coalesce(error_code, error_name)`)
      .orderBy('n', 'desc')
      .limit(20)
      .execute(),
    filtered()
      .select([sql<Date>`date_trunc(${bucket}, last_failed_at)`.as('bucket'), count])
      .where(sql<boolean>`last_failed_at >= now() - ${SPAN[bucket]}::interval`)
      .groupBy(sql`1`)
      .orderBy(sql`1`)
      .execute(),
  ]);
  const byStatus: Record<FailureStatus, number> = { failed: 0, retried: 0, resolved: 0, deleted: 0 };
  for (const r of statusRows) if (r.status in byStatus) byStatus[r.status as FailureStatus] = Number(r.n);
  const byReason: Record<string, number> = {};
  for (const r of reasonRows) byReason[String(r.reason)] = Number(r.n);
  return {
    total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    byStatus,
    byReason,
    byType: typeRows.map((r) => ({ type: (r.type as string | null) ?? null, count: Number(r.n) })),
    byError: errorRows.map((r) => ({ error: String(r.error), count: Number(r.n) })),
    overTime: timeRows.map((r) => ({ bucket: new Date(r.bucket).toISOString(), count: Number(r.n) })),
    bucket,
  };
}
