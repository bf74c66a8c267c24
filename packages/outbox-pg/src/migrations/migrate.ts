import type { Kysely } from 'kysely';
import { outboxPgMigrations } from './index.js';
import { runMigrations } from './migrator.js';

/**
 * Creates or upgrades outbox-pg's tables (outbox, inbox, failed and deferred messages) in
 * `schema` (default `metro`). Idempotent and safe to run from every instance at start-up.
 *
 * @example
 * ```ts
 * const db = createPgDatabase(new pg.Pool({ connectionString }));
 * await migrate(db);                       // schema "metro"
 * await migrate(db, { schema: 'billing' }); // or a schema of your choice
 * ```
 */
export async function migrate(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  options: { schema?: string } = {},
): Promise<{ applied: number[] }> {
  return runMigrations(db, { ...(options.schema !== undefined ? { schema: options.schema } : {}), component: 'outbox', migrations: outboxPgMigrations });
}
