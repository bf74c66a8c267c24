import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ConfigurationError, type Logger } from '@metro/core';
import { createInbox, migrate } from '../src/index.js';
import { createPgliteDb } from '../src/pglite-entry.js';
import { createTestDb, dropSchema, sleep, uniqueSchema, waitFor, type TestDb } from './helpers.js';

/** A logger that keeps what is warned. */
function warnings(): { logger: Logger; warned: Array<{ obj: Record<string, unknown>; msg: string | undefined }> } {
  const warned: Array<{ obj: Record<string, unknown>; msg: string | undefined }> = [];
  return { warned, logger: { debug() {}, info() {}, error() {}, warn: (obj, msg) => void warned.push({ obj, msg }) } };
}

describe('inbox (PostgreSQL)', () => {
  const schema = uniqueSchema('inbox');
  let t: TestDb;
  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    await sql`create table ${sql.id(schema, 'effects')} (message_id text not null)`.execute(t.db);
  });
  afterAll(async () => {
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  const effects = async (id: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'effects')} where message_id = ${id}`.execute(t.db)).rows[0]!.n;

  it('runs the work once per (consumer, message id), in the same transaction as its writes', async () => {
    const inbox = createInbox({ db: t.db, schema });
    const work = async (trx: Parameters<Parameters<typeof inbox.run>[1]>[0]) => {
      await sql`insert into ${sql.id(schema, 'effects')} (message_id) values ('m1')`.execute(trx);
      return 'done';
    };
    expect(await inbox.run({ consumer: 'svc:h', messageId: 'm1' }, work)).toEqual({ duplicate: false, result: 'done' });
    expect(await inbox.run({ consumer: 'svc:h', messageId: 'm1' }, work)).toEqual({ duplicate: true });
    expect(await effects('m1')).toBe(1);
    // Another consumer of the same message runs its own work.
    expect((await inbox.run({ consumer: 'svc:other', messageId: 'm1' }, async () => 1)).duplicate).toBe(false);
  });

  it('concurrent copies of one message: exactly one runs', async () => {
    const inbox = createInbox({ db: t.db, schema });
    let runs = 0;
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        inbox.run({ consumer: 'svc:h', messageId: 'm-concurrent' }, async (trx) => {
          runs++;
          await sql`insert into ${sql.id(schema, 'effects')} (message_id) values ('m-concurrent')`.execute(trx);
          await new Promise((r) => setTimeout(r, 50));
        }),
      ),
    );
    expect(runs).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await effects('m-concurrent')).toBe(1);
  });

  it('a failing handler rolls back its writes and the id, so a redelivery runs it again', async () => {
    const inbox = createInbox({ db: t.db, schema });
    const failing = inbox.run({ consumer: 'svc:h', messageId: 'm-fail' }, async (trx) => {
      await sql`insert into ${sql.id(schema, 'effects')} (message_id) values ('m-fail')`.execute(trx);
      throw new Error('handler failed');
    });
    await expect(failing).rejects.toThrow('handler failed');
    expect(await effects('m-fail')).toBe(0);
    const again = await inbox.run({ consumer: 'svc:h', messageId: 'm-fail' }, async (trx) => {
      await sql`insert into ${sql.id(schema, 'effects')} (message_id) values ('m-fail')`.execute(trx);
    });
    expect(again.duplicate).toBe(false);
    expect(await effects('m-fail')).toBe(1);
  });

  it('prunes ids older than the retention window', async () => {
    const inbox = createInbox({ db: t.db, schema, retention: '1d', pruneInterval: false });
    await sql`insert into ${sql.id(schema, 'inbox')} (consumer, message_id, processed_at) values ('svc:h', 'old-1', now() - interval '2 days'), ('svc:h', 'old-2', now() - interval '30 hours')`.execute(
      t.db,
    );
    await inbox.run({ consumer: 'svc:h', messageId: 'fresh' }, async () => undefined);
    expect(await inbox.prune()).toBe(2);
    expect(await inbox.prune()).toBe(0);
    expect((await inbox.run({ consumer: 'svc:h', messageId: 'fresh' }, async () => undefined)).duplicate).toBe(true);
    expect((await inbox.run({ consumer: 'svc:h', messageId: 'old-1' }, async () => undefined)).duplicate).toBe(false);
  });
});

describe('inbox pruning by itself (PostgreSQL)', () => {
  const schema = uniqueSchema('inboxprune');
  let t: TestDb;
  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
  });
  afterAll(async () => {
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  const inboxTable = () => sql.id(schema, 'inbox');
  const ids = async (consumer: string) =>
    (await sql<{ message_id: string }>`select message_id from ${inboxTable()} where consumer = ${consumer} order by message_id`.execute(t.db)).rows.map(
      (r) => r.message_id,
    );
  const backdate = async (consumer: string, messageIds: string[], age: string) =>
    void (await sql`update ${inboxTable()} set processed_at = now() - ${age}::interval where consumer = ${consumer} and message_id = any(${messageIds})`.execute(
      t.db,
    ));
  const handle = (inbox: ReturnType<typeof createInbox>, consumer: string, messageId: string) => inbox.run({ consumer, messageId }, async () => messageId);

  it('deletes ids older than the window once messages flow, at most once per interval, and keeps recent ones', async () => {
    const c = 'auto:h';
    const inbox = createInbox({ db: t.db, schema, retention: '1h', pruneInterval: '2s' });
    for (const id of ['a', 'b', 'c']) await handle(inbox, c, id); // the first one also starts a prune (nothing old yet)
    await sleep(500); // that prune is over before rows are backdated
    await backdate(c, ['a', 'b'], '2 hours');
    await backdate(c, ['c'], '59 minutes');
    // Within the interval of the first prune: recording a message prunes nothing.
    await handle(inbox, c, 'd');
    await sleep(300);
    expect(await ids(c)).toEqual(['a', 'b', 'c', 'd']);
    // A message after the interval starts a prune; the handler does not wait for it.
    await sleep(2000);
    expect(await handle(inbox, c, 'e')).toEqual({ duplicate: false, result: 'e' });
    await waitFor(async () => !(await ids(c)).includes('a'), 5000, 'the background prune');
    expect(await ids(c)).toEqual(['c', 'd', 'e']);
    // A pruned id is forgotten: its redelivery runs again.
    expect((await handle(inbox, c, 'a')).duplicate).toBe(false);
  });

  it('a duplicate does not start a prune', async () => {
    const c = 'dup:h';
    const inbox = createInbox({ db: t.db, schema, retention: '1h', pruneInterval: '1ms' });
    await handle(inbox, c, 'x');
    await sleep(500); // the first message's prune is over before the row is backdated
    await backdate(c, ['x'], '2 hours');
    expect(await handle(inbox, c, 'x')).toEqual({ duplicate: true });
    await sleep(200);
    expect(await ids(c)).toEqual(['x']);
  });

  it('pruneInterval false or 0: never prunes by itself', async () => {
    for (const [c, pruneInterval] of [
      ['off:h', false],
      ['zero:h', 0],
    ] as const) {
      const inbox = createInbox({ db: t.db, schema, retention: '1h', pruneInterval });
      await sql`insert into ${inboxTable()} (consumer, message_id, processed_at) values (${c}, 'old', now() - interval '2 hours')`.execute(t.db);
      await handle(inbox, c, 'new'); // the first message: an inbox that prunes would prune now
      await sleep(200);
      expect(await ids(c)).toEqual(['new', 'old']);
    }
  });

  it('a prune bigger than pruneBatchSize deletes every old row, one bounded statement at a time', async () => {
    const c = 'bulk:h';
    const inbox = createInbox({ db: t.db, schema, retention: '1d', pruneInterval: false, pruneBatchSize: 1000 });
    await sql`insert into ${inboxTable()} (consumer, message_id, processed_at) select ${c}, 'old-' || g, now() - interval '2 days' from generate_series(1, 2500) g`.execute(
      t.db,
    );
    await handle(inbox, c, 'recent');
    // Count the rows each DELETE statement removes.
    const log = sql.id(schema, 'prune_log');
    await sql`create table ${log} (n int not null, at timestamptz not null default clock_timestamp())`.execute(t.db);
    await sql`create function ${sql.id(schema, 'log_prune')}() returns trigger language plpgsql as $$ begin insert into ${log} (n) select count(*) from gone; return null; end $$`.execute(
      t.db,
    );
    await sql`create trigger log_prune after delete on ${inboxTable()} referencing old table as gone for each statement execute function ${sql.id(schema, 'log_prune')}()`.execute(
      t.db,
    );
    try {
      expect(await inbox.prune()).toBe(2500);
      const statements = (await sql<{ n: number }>`select n from ${log} order by at`.execute(t.db)).rows.map((r) => r.n);
      expect(statements).toEqual([1000, 1000, 500]);
      expect(await ids(c)).toEqual(['recent']);
      expect(await inbox.prune()).toBe(0);
    } finally {
      await sql`drop trigger log_prune on ${inboxTable()}`.execute(t.db);
    }
  });

  it('a failing prune neither fails nor slows the handler: it is logged and tried again after the interval', async () => {
    const c = 'broken:h';
    const { logger, warned } = warnings();
    const inbox = createInbox({ db: t.db, schema, retention: '1h', pruneInterval: '300ms', logger });
    const refuse = sql.id(schema, 'refuse_delete');
    // Every DELETE on the inbox waits half a second and then fails.
    await sql`create function ${refuse}() returns trigger language plpgsql as $$ begin perform pg_sleep(0.5); raise exception 'inbox deletes refused by the test'; end $$`.execute(
      t.db,
    );
    await sql`create trigger refuse_delete before delete on ${inboxTable()} for each statement execute function ${refuse}()`.execute(t.db);
    try {
      expect(await handle(inbox, c, 'm1')).toEqual({ duplicate: false, result: 'm1' });
      expect(warned).toHaveLength(0); // the handler did not wait for the prune, which fails half a second in
      await waitFor(() => warned.length === 1, 5000, 'the prune failure to be logged');
      expect(warned[0]!.msg).toMatch(/inbox prune failed/);
      expect(String((warned[0]!.obj.err as Error).message)).toContain('inbox deletes refused by the test');
      expect(await handle(inbox, c, 'm2')).toEqual({ duplicate: false, result: 'm2' });
    } finally {
      await sql`drop trigger refuse_delete on ${inboxTable()}`.execute(t.db);
    }
    // Once deletes work again, the next prune after the interval goes through.
    await backdate(c, ['m1'], '2 hours');
    await sleep(350);
    await handle(inbox, c, 'm3');
    await waitFor(async () => !(await ids(c)).includes('m1'), 5000, 'the prune to recover');
    expect(await ids(c)).toEqual(['m2', 'm3']);
  });

  it('refuses bad prune options with a ConfigurationError', () => {
    expect(() => createInbox({ db: t.db, schema, pruneBatchSize: 0 })).toThrow(ConfigurationError);
    expect(() => createInbox({ db: t.db, schema, pruneBatchSize: 2.5 })).toThrow(/pruneBatchSize 2.5: use a positive integer/);
    expect(() => createInbox({ db: t.db, schema, pruneInterval: 'soon' as never })).toThrow(ConfigurationError);
  });
});

describe('inbox (PGlite)', () => {
  it('dedupes on an in-process database too', async () => {
    const { db } = createPgliteDb();
    try {
      await migrate(db);
      const inbox = createInbox({ db });
      let runs = 0;
      const results = await Promise.all([1, 2, 3].map(() => inbox.run({ consumer: 'c', messageId: 'x' }, async () => ++runs)));
      expect(runs).toBe(1);
      expect(results.filter((r) => r.duplicate)).toHaveLength(2);
    } finally {
      await db.destroy();
    }
  });

  it('prunes old ids by itself on an in-process database too', async () => {
    const { db } = createPgliteDb();
    try {
      await migrate(db);
      const inbox = createInbox({ db, retention: '1h', pruneInterval: '50ms', pruneBatchSize: 2 });
      for (const id of ['a', 'b', 'c']) await inbox.run({ consumer: 'c', messageId: id }, async () => undefined);
      await sql`update metro.inbox set processed_at = now() - interval '2 hours' where message_id in ('a', 'b', 'c')`.execute(db);
      await sleep(100);
      await inbox.run({ consumer: 'c', messageId: 'd' }, async () => undefined);
      const left = async () =>
        (await sql<{ message_id: string }>`select message_id from metro.inbox order by message_id`.execute(db)).rows.map((r) => r.message_id);
      await waitFor(async () => (await left()).length === 1, 5000, 'the background prune');
      expect(await left()).toEqual(['d']);
    } finally {
      await db.destroy();
    }
  });
});
