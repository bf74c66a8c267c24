import { sql } from 'kysely';
import { runMigrations, type Migration } from '@metro/outbox-pg';
import type { AnyKysely } from '../router/stores.js';

/** The admin API's migrations (component `admin`): the audit trail. */
export const adminMigrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'admin audit trail',
    async up(db: AnyKysely, schema: string): Promise<void> {
      const s = sql.id(schema);
      await sql`CREATE SCHEMA IF NOT EXISTS ${s}`.execute(db);
      await sql`
        CREATE TABLE IF NOT EXISTS ${s}.admin_audit (
          id bigserial PRIMARY KEY,
          at timestamptz NOT NULL DEFAULT now(),
          kind text NOT NULL CHECK (kind IN ('mutation', 'sign-in', 'payload-read')),
          principal text,
          roles text[] NOT NULL DEFAULT '{}',
          client_address text,
          transport text NOT NULL CHECK (transport IN ('http', 'ws', 'caller')),
          procedure text,
          input jsonb,
          result_count bigint,
          outcome text NOT NULL CHECK (outcome IN ('ok', 'error', 'forbidden', 'refused', 'throttled')),
          error text
        )`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS admin_audit_at_idx ON ${s}.admin_audit (at)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS admin_audit_principal_idx ON ${s}.admin_audit (principal, id DESC)`.execute(db);
    },
  },
];

/**
 * Creates or upgrades the admin API's tables (the audit trail, `<schema>.admin_audit`) in
 * `schema` (default `metro`). Versioned, idempotent, advisory-locked: run it at deploy next to
 * outbox-pg's `migrate` and the scheduler's `migrateScheduler`.
 *
 * @example
 * ```ts
 * await migrate(db);          // @metro/outbox-pg
 * await migrateScheduler(db); // @metro/scheduler
 * await migrateAdmin(db);     // @metro/admin-trpc
 * ```
 */
export async function migrateAdmin(db: AnyKysely, options: { schema?: string } = {}): Promise<{ applied: number[] }> {
  return runMigrations(db, { ...(options.schema !== undefined ? { schema: options.schema } : {}), component: 'admin', migrations: adminMigrations });
}
