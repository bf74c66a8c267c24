import {
  ageCheck,
  healthReport,
  resolveAgeThresholds,
  toMilliseconds,
  type AgeThresholds,
  type Duration,
  type HealthOptions,
  type HealthReport,
} from '@metro/core';
import { createDatabaseProbe, loopHealthCheck } from '@metro/outbox-pg';
import { sql } from 'kysely';
import type { AnyDatabase } from './any-database.js';
import type { SchedulerTables } from './schema-names.js';

/** The `health` option of `createSchedulerWorker`: names and thresholds of `worker.health()`. */
export interface SchedulerWorkerHealthOptions {
  /** Prefix of the check names (`<name>.worker`, `<name>.database`, `<name>.lateness`). Default `'scheduler-worker'`. */
  readonly name?: string;
  /** Lateness of the most overdue schedule (one-off or recurring): degraded past `degraded`, unhealthy (not ready) past `unhealthy`. Default `{ degraded: '30s', unhealthy: '5m' }`. */
  readonly lateness?: AgeThresholds;
  /** The database check (the lateness query) gives up after this. Default `'1s'`. */
  readonly timeout?: Duration;
}

/** How the worker's rounds went, for `worker.health()`: a round is one look at the table and the firing it led to. */
export class WorkerLoopHealth {
  errors = 0;
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  lastSuccessAt: number | null = null;

  /** The look at the table answered. */
  succeeded(): void {
    this.lastSuccessAt = Date.now();
  }

  /** The round failed with `err` (the worker backs off and tries again). */
  failed(err: unknown): void {
    this.errors++;
    this.lastErrorAt = Date.now();
    this.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

/**
 * Builds `worker.health()`: `<name>.worker` (running, rounds going through or failing: the
 * liveness check), and for readiness `<name>.database` (the lateness query answered within the
 * timeout) and `<name>.lateness` (how long the most overdue pending schedule has been due).
 * Lateness is the table's, whichever worker should have fired it: with no worker running anywhere
 * it grows, and this check says so.
 *
 * @example
 * ```ts
 * const health = createWorkerHealth(db, schedulerTables('metro'), { lateness: { degraded: '10s' } }, () => running, new WorkerLoopHealth());
 * const report = await health();
 * ```
 */
export function createWorkerHealth(
  db: AnyDatabase,
  t: SchedulerTables,
  options: SchedulerWorkerHealthOptions,
  running: () => boolean,
  loop: WorkerLoopHealth,
): (healthOptions?: HealthOptions) => Promise<HealthReport> {
  const name = options.name ?? 'scheduler-worker';
  const thresholds = resolveAgeThresholds('the scheduler lateness', options.lateness, { degraded: '30s', unhealthy: '5m' });
  // The most overdue one-off (partial index on pending due_at) and recurring (index on next_at) schedule, and how many are overdue (up to 1,000).
  const probe = createDatabaseProbe(
    async () => {
      const result = await sql<{ late_ms: number | null; overdue: number }>`
        select greatest(
          (select extract(epoch from (clock_timestamp() - min(due_at))) * 1000 from ${t.scheduled} where status = 'pending' and due_at <= clock_timestamp()),
          (select extract(epoch from (clock_timestamp() - min(next_at))) * 1000 from ${t.recurring} where next_at <= clock_timestamp())
        )::float8 as late_ms,
        (select count(*)::int from (select 1 from ${t.scheduled} where status = 'pending' and due_at <= clock_timestamp() limit 1000) as due) as overdue`.execute(
        db,
      );
      const row = result.rows[0];
      const late = row?.late_ms;
      return { lateMs: late === null || late === undefined ? null : Math.max(0, Math.round(Number(late))), overdue: Number(row?.overdue ?? 0) };
    },
    { timeoutMs: toMilliseconds(options.timeout ?? '1s'), who: 'the scheduler worker' },
  );

  return async (healthOptions = {}) => {
    const worker = loopHealthCheck({
      who: 'the scheduler worker',
      start: 'worker.start()',
      running: running(),
      crashed: 0, // its one loop catches every error of a round and carries on
      loops: 1,
      errors: loop.errors,
      lastError: loop.lastError,
      lastErrorAt: loop.lastErrorAt,
      lastSuccessAt: loop.lastSuccessAt,
      dependsOn: 'the database',
    });
    if (healthOptions.probe === 'liveness') return healthReport({ [`${name}.worker`]: worker }, healthOptions);
    const { database, value } = await probe.run();
    const lateness =
      value !== undefined
        ? ageCheck(
            value.lateMs,
            thresholds,
            {
              subject: 'the most overdue schedule',
              advice: 'no worker fires it in time: check that a scheduler worker runs (worker.start()) and look at its check and logs',
              none: 'no schedule is overdue',
            },
            { overdue: value.overdue },
          )
        : {
            status: 'degraded' as const,
            message: 'unknown: the database did not answer (see the database check)',
            liveness: false,
            observed: { ageMs: null, overdue: null },
            thresholds: { ...thresholds },
          };
    return healthReport({ [`${name}.worker`]: worker, [`${name}.database`]: database, [`${name}.lateness`]: lateness }, healthOptions);
  };
}
