import { sql, type Kysely } from 'kysely';
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
import { createDatabaseProbe } from '../health/database-probe.js';
import { loopHealthCheck } from '../health/loop-check.js';
import type { RelayCounters } from './relay-counters.js';

/** The `health` option of `createOutboxRelay`: names and thresholds of `relay.health()`. */
export interface OutboxRelayHealthOptions {
  /** Prefix of the check names (`<name>.relay`, `<name>.database`, `<name>.lag`). Default `'outbox-relay'`. */
  readonly name?: string;
  /** Commit-to-publish lag (age of the oldest pending row): degraded past `degraded`, unhealthy (not ready) past `unhealthy`. Default `{ degraded: '30s', unhealthy: '5m' }`. */
  readonly lag?: AgeThresholds;
  /** The database check (the lag query) gives up after this. Default `'1s'`. */
  readonly timeout?: Duration;
}

/** What `relay.health()` reads of the running relay. */
export interface RelayHealthState {
  running(): boolean;
  /** Lanes that ended with an unexpected error. */
  crashedLanes(): number;
  readonly lanes: number;
  readonly counters: RelayCounters;
}

/**
 * Builds `relay.health()`: `<name>.relay` (running, batches going through or failing, lanes
 * crashed: the one liveness check), and for readiness `<name>.database` (the lag query answered
 * within the timeout) and `<name>.lag` (age of the oldest pending row vs the thresholds).
 *
 * @example
 * ```ts
 * const health = createRelayHealth(db, 'metro', { lag: { degraded: '10s' } }, state);
 * const report = await health();
 * ```
 */
export function createRelayHealth(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  schema: string,
  options: OutboxRelayHealthOptions,
  state: RelayHealthState,
): (healthOptions?: HealthOptions) => Promise<HealthReport> {
  const name = options.name ?? 'outbox-relay';
  const thresholds = resolveAgeThresholds('the outbox relay lag', options.lag, { degraded: '30s', unhealthy: '5m' });
  const outbox = sql.id(schema, 'outbox');
  // The oldest pending row by seq (the partial index on pending rows): its age from its insert.
  const probe = createDatabaseProbe(
    async () => {
      const result = await sql<{ age_ms: number | null }>`
        select (extract(epoch from (clock_timestamp() - created_at)) * 1000)::float8 as age_ms
        from ${outbox} where status = 'pending' order by seq limit 1`.execute(db);
      const age = result.rows[0]?.age_ms;
      return age === null || age === undefined ? null : Math.max(0, Math.round(Number(age)));
    },
    { timeoutMs: toMilliseconds(options.timeout ?? '1s'), who: 'the outbox relay' },
  );

  return async (healthOptions = {}) => {
    const { counters } = state;
    const relay = loopHealthCheck({
      who: 'the outbox relay',
      start: 'relay.start()',
      running: state.running(),
      crashed: state.crashedLanes(),
      loops: state.lanes,
      lastSuccessAt: counters.lastSuccessAt,
      lastErrorAt: counters.lastErrorAt,
      lastError: counters.lastError,
      errors: counters.errors,
      dependsOn: 'the broker and the database',
    });
    if (healthOptions.probe === 'liveness') return healthReport({ [`${name}.relay`]: relay }, healthOptions);
    const { database, value } = await probe.run();
    const lag =
      database.status === 'healthy'
        ? ageCheck(value ?? null, thresholds, {
            subject: 'the oldest pending outbox row',
            advice: 'the relay is not keeping up or cannot publish; see the relay check, the broker and the relay logs',
            none: 'no outbox row is pending',
          })
        : {
            status: 'degraded' as const,
            message: 'unknown: the database did not answer (see the database check)',
            liveness: false,
            observed: { ageMs: null },
            thresholds: { ...thresholds },
          };
    return healthReport({ [`${name}.relay`]: relay, [`${name}.database`]: database, [`${name}.lag`]: lag }, healthOptions);
  };
}
