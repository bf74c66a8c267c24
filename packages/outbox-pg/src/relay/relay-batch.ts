import type { Kysely } from 'kysely';
import type { Logger } from '@metro/core';
import type { BatchPublisher } from './batch-publisher.js';
import type { BatchTransaction, BatchWork } from './batch-transaction.js';
import type { ClaimFloor } from './claim-floor.js';
import type { LaneWakeups } from './lane-wakeups.js';
import { CLAIM_SETTINGS, claimRows, markSent } from './outbox-claim.js';
import type { RelayCounters } from './relay-counters.js';
import type { RelaySettings } from './relay-options.js';
import { settleRows } from './row-retry.js';
import type { ThroughputCounter } from './throughput-counter.js';

/** What one batch did: rows claimed, whether its claim started after the floor, rows sent, the count it wrote, broker trouble. */
export interface BatchOutcome {
  readonly claimed: number;
  readonly afterFloor: boolean;
  readonly sent: number;
  /** Rows added to the throughput counter with the commit (see `ThroughputCounter.due`). */
  readonly counted: number;
  readonly transient: unknown;
}

/** What a relay's batches share. */
export interface RelayBatchParts {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly settings: RelaySettings;
  readonly transactions: BatchTransaction;
  readonly floor: ClaimFloor;
  readonly wakeups: LaneWakeups;
  readonly publisher: BatchPublisher;
  readonly counters: RelayCounters;
  readonly logger: Logger;
}

/**
 * One claim-publish-mark transaction of a lane: begin (with synchronous_commit off and the
 * claim's planner settings), claim from the lane's floor, publish, settle each row (see
 * `settleRows`), then mark the confirmed rows sent (with the throughput count when one is due)
 * and commit, in as few round trips as the driver allows (see `BatchTransaction`).
 *
 * @example
 * ```ts
 * const batches = new RelayBatches(parts);
 * const { claimed, sent } = await batches.run(lane, counter);
 * ```
 */
export class RelayBatches {
  constructor(private readonly parts: RelayBatchParts) {}

  /** Runs lane `lane`'s next batch; rejects (rolled back) on database trouble. */
  run(lane: number, counter: ThroughputCounter): Promise<BatchOutcome> {
    const { db, transactions, floor } = this.parts;
    return transactions.run(db, CLAIM_SETTINGS, (trx) => this.claimPublishMark(trx, lane, counter)).finally(() => floor.release(lane));
  }

  /** The batch itself, on `trx`: the lane's connection, inside the batch's transaction. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async claimPublishMark(trx: Kysely<any>, lane: number, counter: ThroughputCounter): Promise<BatchWork<BatchOutcome>> {
    const { settings, floor, wakeups, publisher, counters, logger } = this.parts;
    const { schema, batchSize, ordering, maxAttempts, retryDelayMs, retentionMs } = settings;
    const started = performance.now();
    const { rows, after } = await floor.claim(lane, batchSize, (from) => claimRows(trx, schema, batchSize, ordering, from));
    const afterFloor = after !== undefined;
    if (rows.length === 0) return { value: { claimed: 0, afterFloor, sent: 0, counted: 0, transient: undefined } };
    if (rows.length >= batchSize) wakeups.spare(); // more may wait: another lane claims after these
    const claimedAt = performance.now();
    const results = await publisher.publish(rows);
    const publishedAt = performance.now();
    const { sent, transient } = await settleRows(trx, rows, results, { schema, maxAttempts, retryDelayMs, counters, logger });
    logger.debug(
      { claimed: rows.length, sent: sent.length, claimMs: Math.round(claimedAt - started), publishMs: Math.round(publishedAt - claimedAt) },
      'outbox batch published',
    );
    // Only rows whose confirm came are marked (one statement, with the count when one is due), with the commit.
    const counted = sent.length > 0 ? counter.due(sent.length) : 0;
    return {
      value: { claimed: rows.length, afterFloor, sent: sent.length, counted, transient },
      last: sent.length > 0 ? markSent(schema, sent, retentionMs > 0, counted > 0 ? counter.write(schema, counted) : undefined) : undefined,
    };
  }
}
