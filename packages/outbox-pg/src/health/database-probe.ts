import { createBoundedProbe, type HealthCheck } from '@metro/core';

/** A bounded query whose outcome is also the `database` check of a health report; see {@link createDatabaseProbe}. */
export interface DatabaseProbe<T> {
  /** Runs the query (joining one in flight) within the timeout: the `database` check and, when it answered, its value. */
  run(): Promise<{ readonly database: HealthCheck; readonly value: T | undefined }>;
}

/**
 * Turns a health query (the relay's oldest pending row, the scheduler's most overdue schedule)
 * into a database reachability check as well: healthy when it answered within `timeoutMs`,
 * unhealthy when it failed or did not answer in time (never a liveness check: the relay and the
 * worker back off and resume by themselves once the database is back). Bounded by
 * `createBoundedProbe`, so a database that hangs cannot hold a readiness probe.
 *
 * @example
 * ```ts
 * const probe = createDatabaseProbe(async () => (await sql`select 1 as one`.execute(db)).rows[0], { timeoutMs: 1000, who: 'the outbox relay' });
 * const { database } = await probe.run();
 * database.status; // 'healthy' | 'unhealthy'
 * ```
 */
export function createDatabaseProbe<T>(query: () => Promise<T>, options: { timeoutMs: number; who: string }): DatabaseProbe<T> {
  const { timeoutMs, who } = options;
  const probe = createBoundedProbe(query, timeoutMs);
  return {
    async run(): Promise<{ database: HealthCheck; value: T | undefined }> {
      const outcome = await probe.run();
      if (outcome.ok) {
        return {
          database: {
            status: 'healthy',
            message: `PostgreSQL answered in ${outcome.ms} ms`,
            liveness: false,
            observed: { ms: outcome.ms },
            thresholds: { timeoutMs },
          },
          value: outcome.value,
        };
      }
      const what = outcome.timedOut ? `did not answer within ${timeoutMs} ms` : `failed (${outcome.error})`;
      return {
        database: {
          status: 'unhealthy',
          message: `PostgreSQL ${what}: check that the database is up and reachable from here (and that the pool is not exhausted); ${who} backs off and resumes by itself once it answers`,
          liveness: false,
          observed: { ms: outcome.ms, timedOut: outcome.timedOut, error: outcome.error },
          thresholds: { timeoutMs },
        },
        value: undefined,
      };
    },
  };
}
