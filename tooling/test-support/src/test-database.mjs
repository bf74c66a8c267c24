// A PostgreSQL schema of its own per test file: created, migrated, dropped.
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A Kysely over a fresh schema named `${prefix}_<random>`, after `migrate(db, schema)` ran;
 * `drop()` removes the schema and closes the pool.
 */
export async function createTestDatabase({ prefix, migrate = async () => {}, max = 10, connectionString = DATABASE_URL }) {
  const schema = `${prefix}_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString, max });
  // A test that cuts the database must not crash: pg emits 'error' on the pool for idle clients and
  // on the client itself for a checked-out one (what @metro/outbox-pg's createPgDatabase guards).
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db);
  await migrate(db, schema);
  return {
    db,
    pool,
    schema,
    async drop() {
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db);
      await db.destroy();
    },
  };
}
