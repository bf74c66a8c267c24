import { sql, type Kysely } from 'kysely';
import type { Logger } from '@metro/core';

/** Sent rows past their retention deleted per statement (the relay deletes chunks until fewer come back). */
const PRUNE_CHUNK = 10_000;
/** How long one round of housekeeping deletes before its lane publishes again. */
const PRUNE_BUDGET_MS = 1_000;
/** How often a relay's housekeeping runs (sooner while expired rows are left over). */
const EVERY_MS = 60_000;

/**
 * A relay's housekeeping, run by its lanes between batches at most once a minute: deletes sent
 * rows past their retention (with a retention), and throughput buckets older than an hour. Sent
 * rows go in chunks of short statements until none are left, so deletion keeps up with any rate;
 * at most {@link PRUNE_BUDGET_MS} per round, so the lane goes on publishing, and the next round
 * comes after the next batch while expired rows are left. Failures are logged and retried.
 *
 * @example
 * ```ts
 * const housekeeping = new RelayHousekeeping(db, schema, retentionMs, logger, () => running);
 * await housekeeping.run(); // after each batch: does nothing until it is due
 * ```
 */
export class RelayHousekeeping {
  private last = 0;

  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly db: Kysely<any>,
    private readonly schema: string,
    private readonly retentionMs: number,
    private readonly logger: Logger,
    private readonly running: () => boolean,
  ) {}

  /** Runs a round if one is due; never rejects. */
  async run(): Promise<void> {
    if (Date.now() - this.last < EVERY_MS) return;
    this.last = Date.now();
    try {
      if (this.retentionMs > 0 && (await this.deleteExpiredSentRows()) === PRUNE_CHUNK) this.last = 0; // more expired rows: again after the next batch
      await sql`delete from ${sql.id(this.schema, 'outbox_throughput')} where bucket < now() - interval '1 hour'`.execute(this.db);
    } catch (err) {
      this.logger.warn({ err }, 'outbox housekeeping failed; will retry');
    }
  }

  /** Deletes chunks of expired sent rows for up to {@link PRUNE_BUDGET_MS}; returns the size of the last chunk. */
  private async deleteExpiredSentRows(): Promise<number> {
    const outbox = sql.id(this.schema, 'outbox');
    const until = Date.now() + PRUNE_BUDGET_MS;
    let deleted = PRUNE_CHUNK;
    while (deleted === PRUNE_CHUNK && this.running() && Date.now() < until) {
      const result =
        await sql`delete from ${outbox} where seq in (select seq from ${outbox} where status = 'sent' and sent_at < now() - make_interval(secs => ${this.retentionMs / 1000}) limit ${PRUNE_CHUNK})`.execute(
          this.db,
        );
      deleted = Number(result.numAffectedRows ?? 0n);
    }
    return deleted;
  }
}
