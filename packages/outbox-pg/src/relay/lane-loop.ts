import type { Kysely } from 'kysely';
import { backoffDelay, type Logger } from '@metro/core';
import type { BatchTransaction } from './batch-transaction.js';
import type { RelayHousekeeping } from './housekeeping.js';
import type { LaneWakeups } from './lane-wakeups.js';
import { errorText } from './publish-failure.js';
import type { RelayBatches } from './relay-batch.js';
import type { RelayCounters } from './relay-counters.js';
import type { RelayListening } from './relay-listening.js';
import type { RelaySettings } from './relay-options.js';
import { ThroughputCounter } from './throughput-counter.js';

/** Settings of the transaction that writes an idle lane's throughput count. */
const COUNT_SETTINGS = "select set_config('synchronous_commit', 'off', true)";

/** What a relay's lanes share. */
export interface RelayLaneParts {
  /** The relay's id: each lane counts its throughput under `relayId` (lane 0) or `relayId/<lane>`. */
  readonly relayId: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly settings: RelaySettings;
  readonly running: () => boolean;
  readonly listening: RelayListening;
  readonly wakeups: LaneWakeups;
  readonly batches: RelayBatches;
  readonly housekeeping: RelayHousekeeping;
  readonly transactions: BatchTransaction;
  readonly counters: RelayCounters;
  readonly logger: Logger;
}

/**
 * One lane of a relay, until the relay stops: runs batches back to back while they come back
 * full, backs off after a failed one (doubling from 100 ms to 5 s), and otherwise sleeps until a
 * notification, its throughput count falls due, or the poll interval. Writes its count when it
 * goes idle, backs off, or stops.
 *
 * @example
 * ```ts
 * const loops = Array.from({ length: concurrency }, (_, lane) => runLane(lane, parts));
 * ```
 */
export async function runLane(index: number, parts: RelayLaneParts): Promise<void> {
  const { settings, running, listening, wakeups, batches, housekeeping, counters, logger } = parts;
  // Each loop counts under its own key: concurrent loops never wait on each other's counter row.
  const counter = new ThroughputCounter(index === 0 ? parts.relayId : `${parts.relayId}/${index}`);
  let failures = 0;
  while (running()) {
    await listening.ensure();
    let claimed: number;
    let afterFloor: boolean;
    const mark = wakeups.mark();
    try {
      const outcome = await batches.run(index, counter);
      // Counted once committed: `published` never includes rows a failed commit puts back.
      if (outcome.claimed > 0) {
        counters.published += outcome.sent;
        counters.batches++;
        counter.committed(outcome.sent, outcome.counted);
      }
      claimed = outcome.claimed;
      afterFloor = outcome.afterFloor;
      if (outcome.transient !== undefined) throw outcome.transient;
      failures = 0;
      if (outcome.sent > 0) counters.lastSuccessAt = Date.now(); // for relay.health()
    } catch (err) {
      failures++;
      counters.errors++;
      counters.lastError = errorText(err);
      counters.lastErrorAt = Date.now(); // for relay.health()
      const delay = backoffDelay(failures - 1, { initialMs: 100, maxMs: 5000 });
      logger.warn({ err, delayMs: delay }, 'outbox relay batch failed; backing off');
      if (counter.due(0) > 0) await writeCount(counter, parts); // a broker outage would otherwise hold the count until it ends
      if (running()) await wakeups.pause(delay);
      continue;
    }
    await housekeeping.run();
    if (claimed >= settings.batchSize) continue;
    if (afterFloor) continue; // rows below the floor may be waiting: the next claim starts from the start
    if (wakeups.takeOwed()) continue; // notified while every lane was busy
    // The lane woken for a row of an aggregate this batch held skipped it: claim again.
    if (settings.ordering === 'aggregate' && wakeups.since(mark)) continue;
    if (counter.due(0) > 0) {
      await writeCount(counter, parts); // idle: the count lags by at most about a second
      if (wakeups.takeOwed()) continue; // notified while it was written
    }
    // Rows counted less than a second after the last write: woken when they are due, not a poll later.
    if (running()) await wakeups.sleep(Math.min(settings.pollMs, counter.msUntilDue()));
  }
  await writeCount(counter, parts);
}

/**
 * Writes what `counter` holds (the lane goes idle, backs off or stops); kept for a write a
 * second later if that fails. Committed without waiting for the disk: the count is statistics,
 * and a lane waiting on an fsync is not publishing.
 */
async function writeCount(counter: ThroughputCounter, parts: RelayLaneParts): Promise<void> {
  const rows = counter.pending;
  if (rows === 0) return;
  try {
    await parts.transactions.run(parts.db, COUNT_SETTINGS, async () => ({ value: undefined, last: counter.write(parts.settings.schema, rows) }));
    counter.committed(0, rows);
  } catch (err) {
    counter.failed();
    parts.logger.warn({ err }, 'outbox relay could not write its throughput count; will retry');
  }
}
