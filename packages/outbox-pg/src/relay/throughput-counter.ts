import { sql, type RawBuilder } from 'kysely';

const RELAY_KEY = /^[0-9a-f-]+(\/\d+)?$/;

/**
 * One relay lane's count of sent rows, for `outboxStats().sentLastMinute`: kept in memory and
 * written to `outbox_throughput` at most once per `writeEveryMs`, with a batch's mark-and-commit
 * (see {@link ThroughputCounter.due}), or on its own when the lane is idle or backing off (at the
 * time it is due, see {@link ThroughputCounter.msUntilDue}) and when it stops, rather than with
 * every batch, whose upsert would cost more per row than the count is worth. The
 * figure lags by up to `writeEveryMs` (more only while the database is unreachable); a crash
 * loses at most that much of the count, never a row.
 *
 * @example
 * ```ts
 * const counter = new ThroughputCounter(laneKey);
 * const written = counter.due(sent.length);
 * // ... commit the batch with markSent(schema, sent, keep, written > 0 ? counter.write(schema, written) : undefined)
 * counter.committed(sent.length, written);
 * ```
 */
export class ThroughputCounter {
  private unwritten = 0;
  private lastWrite = Number.NEGATIVE_INFINITY;

  /** `key` is the lane's key in `outbox_throughput`: the relay's UUID, optionally `/<lane>`. */
  constructor(
    readonly key: string,
    private readonly writeEveryMs = 1000,
  ) {
    // Inlined as a literal (the write shares a simple query with the commit): held to what it is.
    if (!RELAY_KEY.test(key)) throw new TypeError(`a relay key is a UUID, optionally with /<lane>, got ${key}`);
  }

  /** Rows counted and not yet written. */
  get pending(): number {
    return this.unwritten;
  }

  /**
   * The count that a commit marking `sent` more rows should write: the rows not yet written plus
   * these, or 0 while the last write is less than `writeEveryMs` old.
   */
  due(sent: number, now: number = Date.now()): number {
    return now - this.lastWrite >= this.writeEveryMs ? this.unwritten + sent : 0;
  }

  /** A commit that marked `sent` rows and wrote `written` (as {@link ThroughputCounter.due} gave it) went through. */
  committed(sent: number, written: number, now: number = Date.now()): void {
    if (written > 0) {
      this.unwritten = 0;
      this.lastWrite = now;
    } else {
      this.unwritten += sent;
    }
  }

  /** Milliseconds until rows held now are due to be written: `Infinity` when none are held. */
  msUntilDue(now: number = Date.now()): number {
    return this.unwritten === 0 ? Number.POSITIVE_INFINITY : Math.max(0, this.lastWrite + this.writeEveryMs - now);
  }

  /** A write of the held rows failed: they stay held, and the next write is due in `writeEveryMs`. */
  failed(now: number = Date.now()): void {
    this.lastWrite = now;
  }

  /**
   * The upsert that adds `rows` to this lane's current 10-second bucket. It holds no parameters
   * (its values are inlined), so it can share a simple query with other statements.
   */
  write(schema: string, rows: number): RawBuilder<unknown> {
    if (!Number.isSafeInteger(rows) || rows < 1) throw new RangeError(`a throughput count is a positive integer, got ${rows}`);
    return sql`insert into ${sql.id(schema, 'outbox_throughput')} as t (bucket, relay, sent)
    values (to_timestamp(floor(extract(epoch from now()) / 10) * 10), ${sql.lit(this.key)}, ${sql.lit(rows)})
    on conflict (bucket, relay) do update set sent = t.sent + excluded.sent`;
  }
}
