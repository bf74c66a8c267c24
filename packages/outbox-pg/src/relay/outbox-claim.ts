import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DEFAULT_UNROUTABLE_POLICY, type Destination, type HeaderValue, type OutgoingMessage, type UnroutablePolicy } from '@metro/core';
import { toBytes } from '../database/columns.js';

/** A claimed outbox row. */
export interface ClaimedRow {
  readonly seq: string;
  readonly aggregateId: string | null;
  readonly attempts: number;
  readonly message: OutgoingMessage;
  /** What to do when no queue receives it: a topic row's stored policy (default `accept`); always `error` for commands and queues. */
  readonly unroutable: UnroutablePolicy;
}

/** A parsed `destination` column: the destination the transport gets, and the row's unroutable policy. */
interface StoredDestination {
  readonly destination: Destination;
  readonly unroutable: UnroutablePolicy;
}

interface OutboxRow {
  seq: string | number | bigint;
  message_id: string;
  /** As text: parsed once per distinct value in a batch (see {@link JsonTexts}). */
  destination: string;
  aggregate_id: string | null;
  body: Uint8Array;
  content_type: string;
  headers: string;
  priority: number | null;
  delay_ms: number | null;
  /**
   * Whole epoch milliseconds, floored in SQL (an integral float8 prints exactly on any server).
   * `date_part` gives a float8, which parses far cheaper than a timestamptz; `extract` gives a
   * numeric, which costs PostgreSQL more.
   */
  expires_ms: number | string | null;
  created_ms: number | string;
  attempts: number;
}

/**
 * Parses JSON columns of one claimed batch, once per distinct text: a batch's rows mostly share
 * their destination and headers. The parsed values are frozen, since rows share them (shallowly:
 * a destination and header values are flat).
 */
class JsonTexts {
  private readonly parsed = new Map<string, unknown>();

  get<T>(text: string): T {
    let value = this.parsed.get(text);
    if (value === undefined) {
      value = Object.freeze(JSON.parse(text) as object);
      this.parsed.set(text, value);
    }
    return value as T;
  }

  /** A `destination` text: the frozen destination without the stored policy, and the policy. */
  destination(text: string): StoredDestination {
    let value = this.parsed.get(text) as StoredDestination | undefined;
    if (value === undefined) {
      const { unroutable, ...destination } = JSON.parse(text) as Destination & { unroutable?: unknown };
      const policy: UnroutablePolicy =
        destination.kind !== 'topic' ? 'error' : unroutable === 'error' || unroutable === 'accept' ? unroutable : DEFAULT_UNROUTABLE_POLICY;
      value = Object.freeze({ destination: Object.freeze(destination), unroutable: policy });
      this.parsed.set(text, value);
    }
    return value;
  }
}

/**
 * Settings of the claiming transaction, run with its `begin` (see `BatchTransaction`):
 * - `synchronous_commit = off`: a commit lost in a crash only republishes rows the broker already
 *   confirmed (a duplicate, never a loss);
 * - no bitmap or sequential scans: the claim must walk the pending index in `seq` order and stop
 *   at `limit`. With stale statistics (right after a burst of inserts, before autovacuum's
 *   ANALYZE) the planner otherwise fetches every pending row and sorts them.
 */
export const CLAIM_SETTINGS =
  "select set_config('synchronous_commit', 'off', true), set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)";

/** Advisory lock class for per-aggregate claims (distinct from the migration lock class 7301). */
const AGGREGATE_LOCK_CLASS = 7302;

/**
 * Claims up to `limit` due pending rows with `FOR UPDATE SKIP LOCKED` (rows another relay holds
 * are skipped), from the start of the pending rows or, with `after`, from the first `seq` above it
 * (see `ClaimFloor`). With `aggregate` ordering, a row is claimable only if no earlier row of its
 * aggregate is backing off and no other relay holds its aggregate (transaction advisory lock).
 */
export async function claimRows(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Kysely<any>,
  schema: string,
  limit: number,
  ordering: 'none' | 'aggregate',
  after?: string,
): Promise<ClaimedRow[]> {
  const outbox = sql.id(schema, 'outbox');
  const from = after === undefined ? sql`` : sql`and o.seq > ${after}::bigint`;
  const columns = sql`o.seq, o.message_id, o.destination::text as destination, o.aggregate_id, o.body, o.content_type, o.headers::text as headers,
    o.priority, o.delay_ms, floor(date_part('epoch', o.expires_at) * 1000) as expires_ms, floor(date_part('epoch', o.created_at) * 1000) as created_ms, o.attempts`;
  const result =
    ordering === 'aggregate'
      ? await sql<OutboxRow>`
          select ${columns} from ${outbox} o
          where o.status = 'pending' and o.next_attempt_at <= now() ${from}
            and (o.aggregate_id is null or (
              not exists (select 1 from ${outbox} p where p.aggregate_id = o.aggregate_id and p.status = 'pending' and p.seq < o.seq and p.next_attempt_at > now())
              and pg_try_advisory_xact_lock(${AGGREGATE_LOCK_CLASS}, hashtext(o.aggregate_id))))
          order by o.seq limit ${limit} for update of o skip locked`.execute(trx)
      : await sql<OutboxRow>`
          select ${columns} from ${outbox} o
          where o.status = 'pending' and o.next_attempt_at <= now() ${from}
          order by o.seq limit ${limit} for update of o skip locked`.execute(trx);
  const now = Date.now();
  let rows = result.rows;
  if (ordering === 'aggregate') rows = await dropRowsBehindEarlierOnes(trx, schema, rows);
  const json = new JsonTexts();
  const destinations = new JsonTexts();
  return rows.map((row) => {
    const stored = destinations.destination(row.destination);
    // Built by assignment (no spreads): this runs once per row.
    const message: {
      -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K];
    } = {
      destination: stored.destination,
      // pg hands out a fresh Buffer per bytea value: no copy needed (the transport sends it as is).
      body: Buffer.isBuffer(row.body) ? row.body : toBytes(row.body),
      messageId: row.message_id,
      contentType: row.content_type,
      headers: json.get<Record<string, HeaderValue>>(row.headers),
      timestamp: Number(row.created_ms),
    };
    if (row.expires_ms !== null) message.expiresInMs = Math.max(1, Number(row.expires_ms) - now);
    if (row.priority !== null) message.priority = row.priority;
    if (row.delay_ms !== null) message.delayMs = row.delay_ms;
    return { seq: String(row.seq), aggregateId: row.aggregate_id, attempts: Number(row.attempts), message, unroutable: stored.unroutable };
  });
}

/**
 * Re-checks, with a fresh snapshot (READ COMMITTED: one per statement) and while holding each
 * claimed aggregate's advisory lock, that the claimed rows of an aggregate are exactly its
 * oldest pending rows, without gaps. Rows after a gap (an earlier row backing off, or one the
 * claim's older snapshot missed) are left pending for a later batch.
 */
async function dropRowsBehindEarlierOnes(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Kysely<any>,
  schema: string,
  rows: OutboxRow[],
): Promise<OutboxRow[]> {
  const claimed = new Map<string, { seqs: Set<string>; last: bigint }>();
  for (const row of rows) {
    if (row.aggregate_id === null) continue;
    const entry = claimed.get(row.aggregate_id) ?? { seqs: new Set<string>(), last: 0n };
    entry.seqs.add(String(row.seq));
    if (BigInt(row.seq) > entry.last) entry.last = BigInt(row.seq);
    claimed.set(row.aggregate_id, entry);
  }
  if (claimed.size === 0) return rows;
  const ranges = [...claimed.entries()].map(([agg, e]) => sql`(${agg}::text, ${e.last.toString()}::bigint)`);
  const pending = await sql<{ aggregate_id: string; seq: string }>`
    select o.aggregate_id, o.seq::text as seq from ${sql.id(schema, 'outbox')} o
    join (values ${sql.join(ranges)}) as r(agg, hi) on o.aggregate_id = r.agg and o.seq <= r.hi
    where o.status = 'pending'
    order by o.aggregate_id, o.seq`.execute(trx);
  const allowed = new Set<string>();
  const stopped = new Set<string>();
  for (const r of pending.rows) {
    if (stopped.has(r.aggregate_id)) continue;
    if (claimed.get(r.aggregate_id)?.seqs.has(r.seq)) allowed.add(r.seq);
    else stopped.add(r.aggregate_id);
  }
  return rows.filter((row) => row.aggregate_id === null || allowed.has(String(row.seq)));
}

const SEQ = /^\d+$/;

/**
 * The statement that marks published rows (one statement, so it can share a round trip with the
 * `commit`): deletes them (or marks them `sent` when there is a retention period) and, when given,
 * runs `count` with it (the relay's throughput upsert, see `ThroughputCounter`). Values are inlined
 * as literals: it holds no parameters (see `BatchTransaction.commit`).
 */
export function markSent(schema: string, seqs: ReadonlyArray<string>, keep: boolean, count?: RawBuilder<unknown>): RawBuilder<unknown> {
  // Inlined, so held to what they are: seqs from the table.
  if (!seqs.every((seq) => SEQ.test(seq))) throw new TypeError(`outbox seqs must be digits, got ${seqs.join(',')}`);
  const outbox = sql.id(schema, 'outbox');
  const list = sql`${sql.lit(`{${seqs.join(',')}}`)}::bigint[]`;
  const marked = keep
    ? sql`update ${outbox} set status = 'sent', sent_at = now() where seq = any(${list})`
    : sql`delete from ${outbox} where seq = any(${list})`;
  // A data-modifying WITH runs whether or not the rest of the statement refers to it.
  return count === undefined ? marked : sql`with marked as (${marked}) ${count}`;
}

/** Records a failed publish of one row: backs it off, or marks it `failed` after the last attempt. */
export async function markAttemptFailed(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Kysely<any>,
  schema: string,
  seq: string,
  error: string,
  delayMs: number,
  giveUp: boolean,
): Promise<void> {
  await sql`update ${sql.id(schema, 'outbox')}
    set attempts = attempts + 1, last_error = ${error.slice(0, 2000)},
        status = ${giveUp ? 'failed' : 'pending'},
        next_attempt_at = now() + make_interval(secs => ${delayMs / 1000})
    where seq = ${seq}::bigint`.execute(trx);
}
