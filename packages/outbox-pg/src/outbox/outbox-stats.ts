import { sql, type Kysely } from 'kysely';
import { schemaName } from '../identifiers.js';

/** Health figures of an outbox. */
export interface OutboxStats {
  /** Rows waiting to be published (including those backing off after a failed publish). */
  readonly pending: number;
  /** Age of the oldest pending row, or null when none is pending. */
  readonly oldestPendingAgeMs: number | null;
  /** Rows the relays published in about the last minute (each relay writes its count at most once a second: it lags by up to about a second). */
  readonly sentLastMinute: number;
  /** Rows the relays gave up on (see `failed` rows in the outbox table). */
  readonly failed: number;
}

/**
 * Reads the outbox's backlog and throughput.
 *
 * @example
 * ```ts
 * const { pending, oldestPendingAgeMs } = await outboxStats(db);
 * if (oldestPendingAgeMs !== null && oldestPendingAgeMs > 60_000) alert('outbox is stuck');
 * ```
 */
export async function outboxStats(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  options: { schema?: string } = {},
): Promise<OutboxStats> {
  const schema = schemaName(options.schema);
  const outbox = sql.id(schema, 'outbox');
  const result = await sql<{ pending: number; failed: number; oldest_ms: number | null; sent: number }>`
    select
      (select count(*)::int from ${outbox} where status = 'pending') as pending,
      (select count(*)::int from ${outbox} where status = 'failed') as failed,
      (select (extract(epoch from (clock_timestamp() - min(created_at))) * 1000)::float8 from ${outbox} where status = 'pending') as oldest_ms,
      (select coalesce(sum(sent), 0)::int from ${sql.id(schema, 'outbox_throughput')} where bucket >= now() - interval '60 seconds') as sent
  `.execute(db);
  const row = result.rows[0];
  return {
    pending: Number(row?.pending ?? 0),
    oldestPendingAgeMs: row?.oldest_ms === null || row?.oldest_ms === undefined ? null : Math.max(0, Math.round(Number(row.oldest_ms))),
    sentLastMinute: Number(row?.sent ?? 0),
    failed: Number(row?.failed ?? 0),
  };
}
