import type { Kysely } from 'kysely';
import { backoffDelay, type Logger } from '@metro/core';
import type { PublishOutcome } from './batch-publisher.js';
import { markAttemptFailed, type ClaimedRow } from './outbox-claim.js';
import { errorText, isBrokerTrouble } from './publish-failure.js';
import type { RelayCounters } from './relay-counters.js';

/** What the settling of a published batch found: the seqs to mark sent, and broker trouble to back off from. */
export interface SettledRows {
  readonly sent: string[];
  /** The first failure that was broker trouble (no attempt counted), or `undefined`. */
  readonly transient: unknown;
}

/** What {@link settleRows} needs of its relay. */
export interface RowRetrySettings {
  readonly schema: string;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly counters: RelayCounters;
  readonly logger: Logger;
}

/**
 * Goes through a published batch row by row, in the batch's transaction: a confirmed row is to
 * be marked sent; a skipped one and one hit by broker trouble stay pending as they are; any
 * other failure counts an attempt on its row, which backs off (doubling from `retryDelayMs`, at
 * most 5 minutes) or, at `maxAttempts`, is marked `failed`.
 *
 * @example
 * ```ts
 * const { sent, transient } = await settleRows(trx, rows, await publisher.publish(rows), settings);
 * ```
 */
export async function settleRows(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  trx: Kysely<any>,
  rows: ReadonlyArray<ClaimedRow>,
  results: ReadonlyArray<PublishOutcome | undefined>,
  settings: RowRetrySettings,
): Promise<SettledRows> {
  const { schema, maxAttempts, retryDelayMs, counters, logger } = settings;
  const sent: string[] = [];
  const anySent = results.some((result) => result?.ok === true);
  let transient: unknown;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const result = results[i];
    if (result === undefined || result.ok) {
      if (result?.ok) sent.push(row.seq);
      continue;
    }
    if (result.skipped) continue;
    if (isBrokerTrouble(result.error, anySent)) {
      transient ??= result.error;
      continue;
    }
    const attempt = row.attempts + 1;
    const giveUp = attempt >= maxAttempts;
    const delay = backoffDelay(attempt - 1, { initialMs: retryDelayMs, maxMs: 300_000 });
    await markAttemptFailed(trx, schema, row.seq, errorText(result.error), delay, giveUp);
    if (giveUp) {
      counters.failed++;
      logger.error({ err: result.error, messageId: row.message.messageId, attempts: attempt }, 'outbox row could not be published; marked failed');
    } else {
      counters.retried++;
      logger.warn({ err: result.error, messageId: row.message.messageId, attempt, delayMs: delay }, 'outbox row could not be published; will retry');
    }
  }
  return { sent, transient };
}
