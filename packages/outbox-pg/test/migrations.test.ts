import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrate, outboxPgMigrations, runMigrations, MigrationError, InvalidIdentifierError } from '../src/index.js';
import { createPgliteDb } from '../src/pglite-entry.js';
import { createTestDb, dropSchema, uniqueSchema, type TestDb } from './helpers.js';

describe('migrations (PostgreSQL)', () => {
  const schema = uniqueSchema('mig');
  const schema2 = uniqueSchema('mig2');
  const schema3 = uniqueSchema('mig3');
  let t: TestDb;
  const extra: TestDb[] = [];

  beforeAll(() => {
    t = createTestDb();
  });
  afterAll(async () => {
    await dropSchema(t.db, schema);
    await dropSchema(t.db, schema2);
    await dropSchema(t.db, schema3);
    for (const e of extra) await e.db.destroy();
    await t.db.destroy();
  });

  it('creates every table, then is a no-op', async () => {
    expect((await migrate(t.db, { schema })).applied).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await migrate(t.db, { schema })).applied).toEqual([]);
    const tables = await sql<{
      table_name: string;
    }>`select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(t.db);
    expect(tables.rows.map((r) => r.table_name)).toEqual(['deferred_messages', 'failed_messages', 'inbox', 'outbox', 'outbox_migrations', 'outbox_throughput']);
  });

  it('is safe when several instances migrate at once', async () => {
    const dbs = Array.from({ length: 4 }, () => createTestDb(undefined, 2));
    extra.push(...dbs);
    const results = await Promise.all(dbs.map((d) => migrate(d.db, { schema: schema2 })));
    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual([1, 2, 3, 4, 5, 6]);
    const versions = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema2, 'outbox_migrations')}`.execute(t.db);
    expect(versions.rows[0]!.n).toBe(6);
  });

  it("runs another component's migrations in the same schema, each with its version table", async () => {
    const result = await runMigrations(t.db, {
      schema,
      component: 'widgets',
      migrations: [
        { version: 2, name: 'add colour', up: async (db, s) => void (await sql`alter table ${sql.id(s, 'widget')} add column colour text`.execute(db)) },
        { version: 1, name: 'widget', up: async (db, s) => void (await sql`create table ${sql.id(s, 'widget')} (id int primary key)`.execute(db)) },
      ],
    });
    expect(result.applied).toEqual([1, 2]);
    await sql`insert into ${sql.id(schema, 'widget')} (id, colour) values (1, 'red')`.execute(t.db);
  });

  it('rolls a failing run back entirely', async () => {
    const run = runMigrations(t.db, {
      schema,
      component: 'broken',
      migrations: [
        { version: 1, name: 'ok', up: async (db, s) => void (await sql`create table ${sql.id(s, 'broken_ok')} (id int)`.execute(db)) },
        { version: 2, name: 'bad', up: async (db) => void (await sql`select * from no_such_table`.execute(db)) },
      ],
    });
    await expect(run).rejects.toBeInstanceOf(MigrationError);
    const exists = await sql<{
      n: number;
    }>`select count(*)::int as n from information_schema.tables where table_schema = ${schema} and table_name in ('broken_ok', 'broken_migrations')`.execute(
      t.db,
    );
    expect(exists.rows[0]!.n).toBe(0);
  });

  it('upgrades a schema migrated by an earlier release (version 5: failed_messages_reason_idx)', async () => {
    await runMigrations(t.db, { schema: schema3, component: 'outbox', migrations: outboxPgMigrations.slice(0, 4) });
    expect((await migrate(t.db, { schema: schema3 })).applied).toEqual([5, 6]);
    const indexes = await sql<{
      indexdef: string;
    }>`select indexdef from pg_indexes where schemaname = ${schema3} and indexname = 'failed_messages_reason_idx'`.execute(t.db);
    expect(indexes.rows.map((r) => r.indexdef)).toEqual([expect.stringContaining('(reason, last_failed_at DESC, id DESC)')]);
  });

  it('refuses unsafe schema names', async () => {
    await expect(migrate(t.db, { schema: 'x"; drop table y; --' })).rejects.toBeInstanceOf(InvalidIdentifierError);
  });

  it('upgrades a schema at version 5 with the failed_messages.trace_id column', async () => {
    const schema6 = `${schema3}_v6`;
    await runMigrations(t.db, { schema: schema6, component: 'outbox', migrations: outboxPgMigrations.slice(0, 5) });
    expect((await migrate(t.db, { schema: schema6 })).applied).toEqual([6]);
    const columns = await sql<{ data_type: string }>`select data_type from information_schema.columns
      where table_schema = ${schema6} and table_name = 'failed_messages' and column_name = 'trace_id'`.execute(t.db);
    expect(columns.rows).toEqual([{ data_type: 'text' }]);
    await sql`drop schema ${sql.id(schema6)} cascade`.execute(t.db);
  });
});

describe('migrations (PGlite)', () => {
  it('migrates an in-memory PGlite, idempotently', async () => {
    const { db } = createPgliteDb();
    try {
      expect((await migrate(db)).applied).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await migrate(db)).applied).toEqual([]);
      const r = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_schema = 'metro'`.execute(db);
      expect(r.rows[0]!.n).toBe(6);
    } finally {
      await db.destroy();
    }
  });
});
