import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { BatchTransaction } from '../src/relay/batch-transaction.js';
import { handlePoolErrors } from '../src/index.js';
import { PgliteDialect } from '../src/pglite-entry.js';
import { DATABASE_URL, dropSchema, uniqueSchema } from './helpers.js';

const SETTINGS = "select set_config('synchronous_commit', 'off', true), set_config('enable_seqscan', 'off', true)";

interface Case {
  readonly name: string;

  readonly open: (log: (query: string) => void) => Promise<{ db: Kysely<any>; close: () => Promise<void> }>;
  /** Queries sent for begin and commit-with-a-statement. */
  readonly roundTrips: number;
}

describe.each<Case>([
  {
    name: 'PostgreSQL (node-postgres: several statements per simple query)',
    roundTrips: 2,
    open: async (log) => {
      const pool = handlePoolErrors(new pg.Pool({ connectionString: DATABASE_URL, max: 1 }));
      const db = new Kysely({ dialect: new PostgresDialect({ pool }), log: (event) => log(event.query.sql) });
      return { db, close: () => db.destroy() };
    },
  },
  {
    name: 'PGlite (every query prepared: one statement each)',
    roundTrips: 4,
    open: async (log) => {
      const pglite = new PGlite();
      const db = new Kysely({ dialect: new PgliteDialect(pglite), log: (event) => log(event.query.sql) });
      return { db, close: () => db.destroy() };
    },
  },
])('BatchTransaction on $name', ({ open, roundTrips }) => {
  const schema = uniqueSchema('batch');
  const queries: string[] = [];

  let db: Kysely<any>;
  let close: () => Promise<void>;
  const rows = async () => (await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 't')}`.execute(db)).rows[0]!.n;

  beforeAll(async () => {
    ({ db, close } = await open((query) => queries.push(query)));
    await sql`create schema ${sql.id(schema)}`.execute(db);
    await sql`create table ${sql.id(schema, 't')} (id int primary key)`.execute(db);
  });
  afterAll(async () => {
    await dropSchema(db, schema);
    await close();
  });

  it(`begins with the settings and commits with the last statement, in ${roundTrips} round trips after the first`, async () => {
    const batches = new BatchTransaction();
    const insert = (id: number) => sql`insert into ${sql.id(schema, 't')} values (${sql.lit(id)})`;
    // The first transaction finds out what the driver can do.
    await batches.run(db, SETTINGS, async () => ({ value: undefined, last: insert(1) }));
    queries.length = 0;
    const settingInside = await batches.run(db, SETTINGS, async (trx) => {
      const { rows: seen } = await sql<{ s: string }>`select current_setting('synchronous_commit') as s`.execute(trx);
      return { value: seen[0]!.s, last: insert(2) };
    });
    expect(settingInside).toBe('off');
    expect(queries).toHaveLength(roundTrips + 1); // + the select in between
    expect(await rows()).toBe(2);
    // The settings were local to the transaction.
    const after = await sql<{ s: string }>`select current_setting('synchronous_commit') as s`.execute(db);
    expect(after.rows[0]!.s).toBe('on');
  });

  it('a last statement with parameters still commits, in a round trip of its own', async () => {
    const batches = new BatchTransaction();
    await batches.run(db, SETTINGS, async () => ({ value: undefined }));
    queries.length = 0;
    await batches.run(db, SETTINGS, async () => ({ value: undefined, last: sql`insert into ${sql.id(schema, 't')} values (${20})` }));
    expect(queries).toHaveLength(roundTrips === 2 ? 3 : roundTrips);
    expect((await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 't')} where id = 20`.execute(db)).rows[0]!.n).toBe(1);
    await sql`delete from ${sql.id(schema, 't')} where id = 20`.execute(db);
  });

  it('a failing last statement commits nothing, and the connection is usable after the rollback', async () => {
    const batches = new BatchTransaction();
    const before = await rows();
    await expect(
      batches.run(db, SETTINGS, async (trx) => {
        await sql`insert into ${sql.id(schema, 't')} values (${sql.lit(10)})`.execute(trx);
        return { value: undefined, last: sql`insert into ${sql.id(schema, 't')} values (${sql.lit(1)})` }; // duplicate key
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await rows()).toBe(before);
    await batches.run(db, SETTINGS, async () => ({ value: undefined }));
  });

  it('a failing setting rejects and rolls back (no transaction is left open), and the next run still combines what it can', async () => {
    const rollbackFailures: unknown[] = [];
    const batches = new BatchTransaction({ onRollbackFailed: (err) => rollbackFailures.push(err) });
    await expect(batches.run(db, 'select no_such_function()', async () => ({ value: undefined }))).rejects.toMatchObject({ code: '42883' });
    expect(rollbackFailures).toEqual([]);
    // The connection is not stuck in an aborted transaction (the pool has few; PGlite has one).
    const { rows: state } = await sql<{ n: number }>`select 1 as n`.execute(db);
    expect(state).toEqual([{ n: 1 }]);
    queries.length = 0;
    await batches.run(db, SETTINGS, async () => ({ value: undefined, last: sql`insert into ${sql.id(schema, 't')} values (${sql.lit(3)})` }));
    expect(queries).toHaveLength(roundTrips);
    expect(await rows()).toBe(3);
  });
});
