import { runMigrations, type Migration } from '@metro/outbox-pg';
import { sql, type Kysely } from 'kysely';
import { sagaTables } from './stores/saga-tables.js';

/**
 * The saga package's migrations (component `saga`): one table of saga instances keyed by
 * (saga, key), with the state as JSON, a version, the pending timeouts, the last messages that
 * moved it, and timestamps.
 */
export const sagaMigrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'saga instances',
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async up(db: Kysely<any>, schema: string): Promise<void> {
      const t = sql.id(schema, 'sagas');
      await sql`
        CREATE TABLE IF NOT EXISTS ${t} (
          saga text NOT NULL,
          key text NOT NULL,
          state jsonb,
          current_state text,
          version integer NOT NULL DEFAULT 0,
          status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed')),
          timeouts jsonb NOT NULL DEFAULT '{}'::jsonb,
          history jsonb NOT NULL DEFAULT '[]'::jsonb,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now(),
          completed_at timestamptz,
          expires_at timestamptz,
          PRIMARY KEY (saga, key)
        )`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS sagas_state_idx ON ${t} (saga, status, current_state)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS sagas_expires_idx ON ${t} (expires_at) WHERE expires_at IS NOT NULL`.execute(db);
    },
  },
];

/**
 * Creates or upgrades the saga table in `schema` (default `metro`). Versioned, idempotent and safe
 * to run from every instance at once (advisory-locked). Sagas also need the outbox's, the inbox's
 * and the scheduler's tables in the same schema.
 *
 * @example
 * ```ts
 * await migrate(db);           // @metro/outbox-pg
 * await migrateScheduler(db);  // @metro/scheduler
 * await migrateSagas(db);      // @metro/saga
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateSagas(db: Kysely<any>, options: { schema?: string } = {}): Promise<{ applied: number[] }> {
  const { schema } = sagaTables(options.schema);
  return runMigrations(db, { schema, component: 'saga', migrations: sagaMigrations });
}
