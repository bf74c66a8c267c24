import type { Pool } from 'pg';
import { defaultLogger, type Logger } from '@metro/core';

const guarded = new WeakSet<Pool>();

/**
 * Keeps a dropped PostgreSQL connection from crashing the process. `pg` emits `'error'` on the
 * pool for idle clients, and on the client itself for one that is checked out (a kysely
 * transaction waiting on a broker confirm or a handler); with no listener, Node throws. This adds
 * a listener to the pool and to every client it creates, logs, and lets the failed query or
 * transaction reject as usual (the pool replaces the client). Call it right after creating the
 * pool; calling it twice is harmless. `pgNotifications(pool)` calls it too.
 *
 * @example
 * ```ts
 * const pool = handlePoolErrors(new pg.Pool({ connectionString }), { logger }); // a pool you use without kysely
 * // with kysely, createPgDatabase(pool, { logger }) guards the pool and builds the instance
 * ```
 */
export function handlePoolErrors(pool: Pool, options: { logger?: Logger } = {}): Pool {
  if (guarded.has(pool)) return pool;
  guarded.add(pool);
  const logger = options.logger ?? defaultLogger;
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection lost (the pool replaces it)'));
  pool.on('connect', (client) => {
    client.on('error', (err) => logger.warn({ err }, 'PostgreSQL connection lost (the current query or transaction fails)'));
  });
  return pool;
}
