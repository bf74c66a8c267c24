import { Kysely, PostgresDialect, type KyselyPlugin } from 'kysely';
import type { Pool } from 'pg';
import type { Logger } from '@metro/core';
import { handlePoolErrors } from './pool-errors.js';

/** Options of {@link createPgDatabase}. */
export interface PgDatabaseOptions {
  /** Where a lost connection is reported (as a warning). Default: core's default logger. */
  readonly logger?: Logger | undefined;
  /** kysely plugins, e.g. `new CamelCasePlugin()`. */
  readonly plugins?: readonly KyselyPlugin[] | undefined;
}

/**
 * The kysely instance Metro's PostgreSQL parts take, built the safe way: the `pg` pool is guarded
 * first ({@link handlePoolErrors}), so a connection that PostgreSQL drops while a query or a
 * transaction holds it fails that query instead of crashing the process with an uncaught
 * `'error'` event. Build every kysely instance on `pg` with it. Destroying the kysely instance
 * ends the pool.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createPgDatabase } from '@metro/outbox-pg';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const db = createPgDatabase<Database>(pool);
 * ```
 */
export function createPgDatabase<DB>(pool: Pool, options: PgDatabaseOptions = {}): Kysely<DB> {
  handlePoolErrors(pool, options.logger === undefined ? {} : { logger: options.logger });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }), ...(options.plugins ? { plugins: [...options.plugins] } : {}) });
}
