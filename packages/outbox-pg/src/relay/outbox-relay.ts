import { childLogger, defaultLogger, SerialSteps, uuidv7, type HealthOptions, type HealthReport } from '@metro/core';
import { outboxChannel } from '../identifiers.js';
import { BatchPublisher } from './batch-publisher.js';
import { observeOutboxPending } from './relay-telemetry.js';
import { BatchTransaction } from './batch-transaction.js';
import { ClaimFloor } from './claim-floor.js';
import { RelayHousekeeping } from './housekeeping.js';
import { runLane, type RelayLaneParts } from './lane-loop.js';
import { LaneWakeups } from './lane-wakeups.js';
import { RelayBatches } from './relay-batch.js';
import { RelayCounters, type OutboxRelayStats } from './relay-counters.js';
import { RelayListening } from './relay-listening.js';
import { relaySettings, type OutboxRelayOptions } from './relay-options.js';
import { createRelayHealth } from './relay-health.js';
import { errorText as healthErrorText } from './publish-failure.js';

/** Publishes committed outbox rows to the transport. */
export interface OutboxRelay {
  /** Starts listening and publishing. Idempotent. */
  start(): Promise<void>;
  /** Finishes the batch in flight, stops listening. Safe to call twice. */
  stop(): Promise<void>;
  /** Counters since the relay was created (see {@link OutboxRelayStats}). */
  stats(): OutboxRelayStats;
  /**
   * The relay's health: `outbox-relay.relay` (running; batches going through, or failing and
   * backing off; a crashed lane fails liveness), `outbox-relay.database` (the lag query answered
   * within `health.timeout`, default 1 s) and `outbox-relay.lag` (age of the oldest pending row:
   * degraded past 30 s, unhealthy past 5 min by default). With `{ probe: 'liveness' }` it does no I/O.
   *
   * @example
   * ```ts
   * const report = await relay.health();
   * report.checks['outbox-relay.lag']?.observed.ageMs; // ms the oldest pending row has waited, or null
   * ```
   */
  health(options?: HealthOptions): Promise<HealthReport>;
}

/**
 * Creates a relay that publishes committed outbox rows: claims a batch with
 * `FOR UPDATE SKIP LOCKED`, publishes it concurrently with publisher confirms, and deletes (or
 * marks sent) the confirmed rows in the same transaction. Any number of relays may run on one
 * table. Woken by LISTEN/NOTIFY, with a slow poll as a fallback; backs off and resumes when the
 * database or broker is down. Unroutable rows are retried with backoff, then marked `failed`,
 * except event rows under the `accept` unroutable policy (the default), which are done (logged,
 * counted in `stats().unroutable`).
 *
 * Its parts: `relay-options.ts` (options and defaults), `lane-loop.ts` (each lane's loop),
 * `relay-batch.ts` (one claim-publish-mark transaction), `batch-publisher.ts` (publishing, in
 * aggregate order when asked), `row-retry.ts` (a failed row's backoff), `housekeeping.ts`
 * (retention), `relay-counters.ts` (stats), `relay-listening.ts` (LISTEN).
 *
 * @example
 * ```ts
 * const relay = createOutboxRelay({ db, transport, listen: pgNotifications(pool), ordering: 'aggregate' });
 * await relay.start();
 * // ...
 * await relay.stop();
 * ```
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const settings = relaySettings(options);
  const { db, transport } = options;
  const relayId = uuidv7();
  const logger = childLogger(options.logger ?? defaultLogger, { component: 'outbox-relay', schema: settings.schema });
  const counters = new RelayCounters(logger);
  const wakeups = new LaneWakeups();
  const transactions = new BatchTransaction({ onRollbackFailed: (err) => logger.warn({ err }, 'outbox relay could not roll back a failed batch') });
  const listening = new RelayListening(options.listen, outboxChannel(settings.schema), wakeups, logger);
  let running = false;
  /** Unregisters the `metro.outbox.pending` gauge (registered while running). */
  let stopPendingGauge = (): void => {};
  let loops: Promise<void>[] = [];
  let crashedHealthLanes = 0;
  const health = createRelayHealth(db, settings.schema, options.health ?? {}, {
    running: () => running,
    crashedLanes: () => crashedHealthLanes,
    lanes: settings.concurrency,
    counters,
  });

  const lanes: RelayLaneParts = {
    relayId,
    db,
    settings,
    running: () => running,
    listening,
    wakeups,
    batches: new RelayBatches({
      db,
      settings,
      transactions,
      floor: new ClaimFloor(),
      wakeups,
      publisher: new BatchPublisher(transport, settings.ordering, counters.unroutable),
      counters,
      logger,
    }),
    housekeeping: new RelayHousekeeping(db, settings.schema, settings.retentionMs, logger, () => running),
    transactions,
    counters,
    logger,
  };

  const start = async (): Promise<void> => {
    if (running) return;
    running = true;
    stopPendingGauge = observeOutboxPending(db, settings.schema);
    listening.reset();
    await listening.ensure();
    loops = Array.from({ length: settings.concurrency }, (_, index) =>
      runLane(index, lanes).catch((err: unknown) => {
        crashedHealthLanes++; // relay.health() fails liveness: nothing restarts a lane
        counters.lastError = healthErrorText(err);
        logger.error({ err }, 'outbox relay loop crashed');
      }),
    );
  };

  const stop = async (): Promise<void> => {
    if (!running && loops.length === 0) return;
    running = false;
    stopPendingGauge();
    wakeups.all();
    const current = loops;
    loops = [];
    await Promise.all(current);
    await listening.stop();
  };

  // start and stop run in call order (a start during a stop would revive the loops it waits for).
  const steps = new SerialSteps();

  return {
    start: () => steps.run(start),
    stop: () => steps.run(stop),
    stats: () => counters.stats(running),
    health,
  };
}
