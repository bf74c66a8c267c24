import { SerialSteps, defaultLogger, childLogger, type Codec, type Duration, type HealthOptions, type HealthReport, type Logger } from '@metro/core';
import { createOutbox } from '@metro/outbox-pg';
import type { AnyDatabase } from './any-database.js';
import { fireDueRecurring, fireDueSchedules, millisecondsUntilNextDue } from './firing.js';
import type { NotificationSource } from './notifications.js';
import { schedulerTables } from './schema-names.js';
import { createWorkerHealth, WorkerLoopHealth, type SchedulerWorkerHealthOptions } from './worker-health.js';
import { workerSettings } from './worker-settings.js';

/** Options of `createSchedulerWorker`. */
export interface SchedulerWorkerOptions {
  readonly db: AnyDatabase;
  /** Schema of the scheduler's and the outbox's tables. Default `metro`. */
  readonly schema?: string;
  /** LISTEN/NOTIFY source (`pgNotifications(pool)` from @metro/outbox-pg): wakes the worker when an earlier due time is scheduled. */
  readonly listen?: NotificationSource;
  readonly logger?: Logger;
  /** Schedules fired per transaction. Default 100. */
  readonly batchSize?: number;
  /** Longest sleep between two looks at the table (the fallback when a notification is missed). Default 10s with `listen`, 1s without; at most 60s (schedules due further ahead send no NOTIFY). */
  readonly pollInterval?: Duration;
  /** Encodes the messages of recurring schedules (one-off schedules keep the bytes encoded when scheduled). Default the JSON envelope codec. */
  readonly codec?: Codec;
  /** `source` of the outbox the worker writes through. Default `'metro-scheduler'` (envelopes keep their own source). */
  readonly source?: string;
  /** Names and thresholds of `worker.health()` (lateness: degraded past 30 s, unhealthy past 5 min; database check timeout 1 s). */
  readonly health?: SchedulerWorkerHealthOptions;
}

/** Fires due schedules into the outbox. See {@link createSchedulerWorker}. */
export interface SchedulerWorker {
  /** Starts firing; past-due schedules fire at once, in due order. Idempotent. */
  start(): Promise<void>;
  /** Stops after the batch in flight commits (or rolls back); clears its timers and stops listening. Safe to call twice. */
  stop(): Promise<void>;
  /** Counters since start. */
  stats(): { fired: number; recurringFired: number; batches: number; errors: number };
  /**
   * The worker's health: `scheduler-worker.worker` (running; its rounds going through or failing),
   * `scheduler-worker.database` (the lateness query answered within `health.timeout`, default 1 s)
   * and `scheduler-worker.lateness` (how long the most overdue schedule has been due: degraded past
   * 30 s, unhealthy past 5 min by default). With `{ probe: 'liveness' }` it does no I/O.
   *
   * @example
   * ```ts
   * const report = await worker.health();
   * report.checks['scheduler-worker.lateness']?.status; // 'healthy' while schedules fire on time
   * ```
   */
  health(options?: HealthOptions): Promise<HealthReport>;
}

const ERROR_BACKOFF_MS = 1000;
const CONTENDED_WAIT_MS = 20;

/**
 * Creates the worker that moves due schedules into the outbox, in the same transaction that marks
 * them fired: a schedule fires exactly as reliably as the outbox publishes, never twice, and is not
 * lost if the worker dies (its uncommitted batch is picked up by another worker or on restart).
 * Run one on every instance: workers claim rows with `FOR UPDATE SKIP LOCKED`. It sleeps until the
 * next due time, woken early by LISTEN/NOTIFY, with a slow fallback poll.
 *
 * @example
 * ```ts
 * const worker = createSchedulerWorker({ db, listen: pgNotifications(pool), logger });
 * await worker.start();
 * // ... on shutdown
 * await worker.stop();
 * ```
 */
export function createSchedulerWorker(options: SchedulerWorkerOptions): SchedulerWorker {
  const { db } = options;
  const t = schedulerTables(options.schema);
  const logger = childLogger(options.logger ?? defaultLogger, { component: 'scheduler-worker' });
  const { batchSize, pollMs, codec } = workerSettings(options);
  const outbox = createOutbox({ db, schema: t.schema, source: options.source ?? 'metro-scheduler', codec });
  const counters = { fired: 0, recurringFired: 0, batches: 0, errors: 0 };
  const loopHealth = new WorkerLoopHealth();

  let running = false;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let wakeAt = Number.POSITIVE_INFINITY;
  let nudged = false;

  function nudge(): void {
    nudged = true;
    wake?.();
  }

  function onNotify(payload?: string): void {
    const due = Number(payload);
    if (!Number.isFinite(due) || due <= wakeAt) nudge();
  }

  function sleep(ms: number): Promise<void> {
    if (nudged || !running) return Promise.resolve();
    return new Promise((resolve) => {
      wakeAt = Date.now() + ms;
      const done = () => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        wake = undefined;
        wakeAt = Number.POSITIVE_INFINITY;
        resolve();
      };
      wake = done;
      timer = setTimeout(done, ms);
    });
  }

  async function runLoop(): Promise<void> {
    while (running) {
      nudged = false;
      try {
        const next = await millisecondsUntilNextDue(db, t);
        loopHealth.succeeded(); // the database answered: for worker.health()
        const scheduledDue = next.scheduled !== null && next.scheduled <= 0;
        const recurringDue = next.recurring !== null && next.recurring <= 0;
        if (!scheduledDue && !recurringDue) {
          // Nothing due: sleep until the next due time (or the fallback poll), unless notified earlier.
          const untilNext = Math.min(next.scheduled ?? Number.POSITIVE_INFINITY, next.recurring ?? Number.POSITIVE_INFINITY);
          await sleep(Math.min(pollMs, Math.max(1, Math.ceil(untilNext))));
          continue;
        }
        const fired = scheduledDue ? await fireDueSchedules(db, t, outbox, batchSize) : 0;
        const recurring = recurringDue ? await fireDueRecurring(db, t, outbox, codec, batchSize) : 0;
        counters.fired += fired;
        counters.recurringFired += recurring;
        if (fired > 0 || recurring > 0) {
          counters.batches++;
          logger.debug({ fired, recurring }, 'fired due schedules');
        } else {
          // Due rows exist but another worker holds them: let it commit.
          await sleep(CONTENDED_WAIT_MS);
        }
      } catch (err) {
        counters.errors++;
        loopHealth.failed(err);
        logger.error({ err }, 'scheduler worker: firing failed; retrying');
        await sleep(ERROR_BACKOFF_MS);
      }
    }
  }

  const start = async (): Promise<void> => {
    if (running) return;
    running = true;
    if (options.listen) {
      try {
        unlisten = await options.listen.listen(t.channel, onNotify);
      } catch (err) {
        logger.warn({ err }, 'scheduler worker: LISTEN failed; falling back to polling');
      }
    }
    loop = runLoop();
  };

  const stop = async (): Promise<void> => {
    if (!running && !loop) return;
    running = false;
    wake?.();
    const current = loop;
    loop = undefined;
    await current;
    const stopListening = unlisten;
    unlisten = undefined;
    if (stopListening) {
      try {
        await stopListening();
      } catch (err) {
        logger.warn({ err }, 'scheduler worker: UNLISTEN failed');
      }
    }
  };

  // start and stop run in call order (a start during a stop would revive the loop it waits for).
  const steps = new SerialSteps();

  return {
    start: () => steps.run(start),
    stop: () => steps.run(stop),
    stats: () => ({ ...counters }),
    health: createWorkerHealth(db, t, options.health ?? {}, () => running, loopHealth),
  };
}
