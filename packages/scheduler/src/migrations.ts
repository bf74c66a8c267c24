import { runMigrations, type Migration } from '@metro/outbox-pg';
import { sql } from 'kysely';
import type { AnyDatabase } from './any-database.js';
import { checkSchema } from './schema-names.js';

/**
 * The scheduler's migrations (component `scheduler`): one-off schedules with tags indexed for
 * `cancel`, and recurring schedules keyed by name; then the unroutable policy of the events they hold.
 */
export const schedulerMigrations: ReadonlyArray<Migration> = [
  {
    version: 1,
    name: 'scheduled messages and recurring schedules',
    async up(db: AnyDatabase, schema: string): Promise<void> {
      const s = sql.id(schema);
      await sql`CREATE SCHEMA IF NOT EXISTS ${s}`.execute(db);
      await sql`
        CREATE TABLE IF NOT EXISTS ${s}.scheduled_messages (
          seq bigserial NOT NULL,
          id text PRIMARY KEY,
          type text NOT NULL,
          name text NOT NULL,
          kind text NOT NULL CHECK (kind IN ('event', 'command')),
          due_at timestamptz NOT NULL,
          status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fired', 'cancelled')),
          tags jsonb NOT NULL DEFAULT '{}'::jsonb,
          envelope jsonb NOT NULL,
          body bytea NOT NULL,
          content_type text NOT NULL,
          headers jsonb NOT NULL DEFAULT '{}'::jsonb,
          expires_in_ms bigint,
          created_at timestamptz NOT NULL DEFAULT now(),
          fired_at timestamptz,
          cancelled_at timestamptz
        )`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS scheduled_messages_due_idx ON ${s}.scheduled_messages (due_at, id) WHERE status = 'pending'`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS scheduled_messages_tags_idx ON ${s}.scheduled_messages USING gin (tags jsonb_path_ops) WITH (fastupdate = off) WHERE status = 'pending'`.execute(
        db,
      );
      await sql`CREATE INDEX IF NOT EXISTS scheduled_messages_type_idx ON ${s}.scheduled_messages (type, status, due_at)`.execute(db);
      await sql`
        CREATE TABLE IF NOT EXISTS ${s}.recurring_schedules (
          name text PRIMARY KEY,
          cron text NOT NULL,
          timezone text NOT NULL DEFAULT 'UTC',
          type text NOT NULL,
          kind text NOT NULL CHECK (kind IN ('event', 'command')),
          template jsonb NOT NULL,
          expires_in_ms bigint,
          next_at timestamptz NOT NULL,
          last_fired_at timestamptz,
          fired_count bigint NOT NULL DEFAULT 0,
          created_at timestamptz NOT NULL DEFAULT now(),
          updated_at timestamptz NOT NULL DEFAULT now()
        )`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS recurring_schedules_next_idx ON ${s}.recurring_schedules (next_at)`.execute(db);
    },
  },
  {
    version: 2,
    name: "an event's unroutable policy, kept until it fires",
    async up(db: AnyDatabase, schema: string): Promise<void> {
      const s = sql.id(schema);
      await sql`ALTER TABLE ${s}.scheduled_messages ADD COLUMN IF NOT EXISTS unroutable text CHECK (unroutable IN ('error', 'accept'))`.execute(db);
      await sql`ALTER TABLE ${s}.recurring_schedules ADD COLUMN IF NOT EXISTS unroutable text CHECK (unroutable IN ('error', 'accept'))`.execute(db);
    },
  },
];

/**
 * Creates or upgrades the scheduler's tables in `schema` (default `metro`). Versioned, idempotent
 * and safe to run from every instance at once (advisory-locked). The worker also needs the outbox
 * tables: run `migrate(db, { schema })` from `@metro/outbox-pg` too.
 *
 * @example
 * ```ts
 * await migrate(db);           // @metro/outbox-pg
 * await migrateScheduler(db);  // @metro/scheduler
 * ```
 */
export async function migrateScheduler(db: AnyDatabase, options: { schema?: string } = {}): Promise<{ applied: number[] }> {
  const schema = checkSchema(options.schema);
  return runMigrations(db, { schema, component: 'scheduler', migrations: schedulerMigrations });
}
