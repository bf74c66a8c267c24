import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createInbox, migrate } from '../src/index.js';
import { createPgliteDb } from '../src/pglite-entry.js';
import { createTestDb, dropSchema, uniqueSchema, type TestDb } from './helpers.js';

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
    const inbox = createInbox({ db: t.db, schema, retention: '1d' });
    await sql`insert into ${sql.id(schema, 'inbox')} (consumer, message_id, processed_at) values ('svc:h', 'old-1', now() - interval '2 days'), ('svc:h', 'old-2', now() - interval '30 hours')`.execute(t.db);
    await inbox.run({ consumer: 'svc:h', messageId: 'fresh' }, async () => undefined);
    expect(await inbox.prune()).toBe(2);
    expect(await inbox.prune()).toBe(0);
    expect((await inbox.run({ consumer: 'svc:h', messageId: 'fresh' }, async () => undefined)).duplicate).toBe(true);
    expect((await inbox.run({ consumer: 'svc:h', messageId: 'old-1' }, async () => undefined)).duplicate).toBe(false);
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
});
