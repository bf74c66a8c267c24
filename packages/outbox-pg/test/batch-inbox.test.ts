import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Transaction } from 'kysely';
import { z } from 'zod';
import { createMetro, defineEvent, silentLogger, type Metro } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { createInbox, migrate, pgFailureStore } from '../src/index.js';
import { AMQP_URL, createTestDb, deleteAmqpTopology, dropSchema, uniqueSchema, waitFor, type TestDb } from './helpers.js';

// The inbox's batch form (Inbox.runBatch) on PostgreSQL, and onBatch(..., { inbox: true }) on RabbitMQ with it.
describe('batch inbox (PostgreSQL)', () => {
  const schema = uniqueSchema('batchinbox');
  const service = `${schema}-svc`;
  const topic = `${schema}-topic`;
  let t: TestDb;
  let metro: Metro | undefined;
  const effects = (table: string) => sql.id(schema, table);
  const count = async (query: ReturnType<typeof sql<{ n: number }>>) => (await query.execute(t.db)).rows[0]!.n;
  const inboxIds = async (consumer: string) =>
    (await sql<{ message_id: string }>`select message_id from ${sql.id(schema, 'inbox')} where consumer = ${consumer} order by 1`.execute(t.db)).rows.map(
      (r) => r.message_id,
    );

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    await sql`create table ${effects('effects')} (message_id text not null)`.execute(t.db);
    await sql`create table ${effects('orders')} (order_id text primary key, message_id text not null)`.execute(t.db);
  });
  afterAll(async () => {
    await metro?.stop();
    await deleteAmqpTopology({ queues: [service, `${service}.expired`], exchanges: [topic] });
    await dropSchema(t.db, schema);
    await t.db.destroy();
  }, 30_000);

  const insertEffects = (trx: Transaction<any>, ids: ReadonlyArray<string>) =>
    sql`insert into ${effects('effects')} (message_id) select unnest(${[...ids]}::text[])`.execute(trx);

  it('runBatch: one transaction records the new ids, skips the seen ones, and leaves out the ones the work did not process', async () => {
    const inbox = createInbox({ db: t.db, schema, pruneInterval: false });
    const first = await inbox.runBatch({ consumer: 'c:1', messageIds: ['m1', 'm2', 'm3'] }, async (trx, fresh) => {
      await insertEffects(trx, fresh.slice(0, 2));
      return { result: 'first', unprocessed: ['m3'] };
    });
    expect(first).toEqual({ fresh: ['m1', 'm2', 'm3'], result: 'first' });
    expect(await inboxIds('c:1')).toEqual(['m1', 'm2']);
    const second = await inbox.runBatch({ consumer: 'c:1', messageIds: ['m4', 'm1', 'm3', 'm4', 'm2'] }, async (trx, fresh) => {
      await insertEffects(trx, fresh);
      return { result: fresh.length };
    });
    expect(second).toEqual({ fresh: ['m4', 'm3'], result: 2 }); // each id once, in the order given
    let ran = false;
    const third = await inbox.runBatch({ consumer: 'c:1', messageIds: ['m1', 'm2', 'm3', 'm4'] }, async () => {
      ran = true;
      return { result: 'never' };
    });
    expect(third).toEqual({ fresh: [], result: undefined });
    expect(ran).toBe(false);
    expect(await inboxIds('c:1')).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(await count(sql<{ n: number }>`select count(*)::int as n from ${effects('effects')}`)).toBe(4);
  });

  it('runBatch: work that throws records nothing; overlapping batches at once process each id exactly once', async () => {
    const inbox = createInbox({ db: t.db, schema, pruneInterval: false });
    const failing = inbox.runBatch({ consumer: 'c:2', messageIds: ['x1', 'x2'] }, async (trx, fresh) => {
      await insertEffects(trx, fresh);
      throw new Error('bulk insert failed');
    });
    await expect(failing).rejects.toThrow('bulk insert failed');
    expect(await inboxIds('c:2')).toEqual([]);
    const ids = Array.from({ length: 30 }, (_, i) => `y${i}`);
    const runs = await Promise.all(
      [ids.slice(0, 20), ids.slice(10, 30), [...ids].reverse()].map((messageIds) =>
        inbox.runBatch({ consumer: 'c:2', messageIds }, async (trx, fresh) => {
          await insertEffects(trx, fresh);
          return { result: undefined };
        }),
      ),
    );
    expect(runs.flatMap((r) => r.fresh).sort()).toEqual([...ids].sort());
    expect(await count(sql<{ n: number }>`select count(*)::int as n from ${effects('effects')} where message_id like 'y%'`)).toBe(30);
    expect(await count(sql<{ n: number }>`select count(distinct message_id)::int as n from ${effects('effects')} where message_id like 'y%'`)).toBe(30);
  });

  it('onBatch with inbox: true on RabbitMQ: one multi-row insert per batch, duplicates skipped, failed messages retried then recorded, the rest written once', async () => {
    const Placed = defineEvent({ topic, type: 'placed', schema: z.object({ orderId: z.string() }) });
    const failures = pgFailureStore(t.db, { schema });
    metro = createMetro({
      service,
      transport: new AmqpTransport({ url: AMQP_URL }),
      inbox: createInbox({ db: t.db, schema, pruneInterval: false }),
      failures,
      logger: silentLogger,
      concurrency: 64,
      prefetch: 128,
    });
    const sizes: number[] = [];
    metro.onBatch(
      Placed,
      async (batch, ctx) => {
        sizes.push(batch.length);
        const good = batch.filter((item) => !item.data.orderId.startsWith('bad'));
        for (const item of batch) if (item.data.orderId.startsWith('bad')) ctx.fail(item, new Error(`no customer for ${item.data.orderId}`));
        if (good.length === 0) return;
        const rows = good.map((item) => sql`(${item.data.orderId}, ${item.messageId})`);
        await sql`insert into ${effects('orders')} (order_id, message_id) values ${sql.join(rows)}`.execute(ctx.trx as never);
      },
      { name: 'store-orders', inbox: true, maxSize: 32, maxWait: '50ms', retry: { attempts: 2, backoff: 'fixed', delay: '200ms' } },
    );
    await metro.start();
    const orders = Array.from({ length: 80 }, (_, i) => `o${i}`);
    const published = await Promise.all(orders.map((orderId) => metro!.publish(Placed, { orderId })));
    // Ten of them again with the same ids (a producer's redelivery), and two the handler refuses.
    await Promise.all(published.slice(0, 10).map((envelope) => metro!.publish(Placed, envelope.data, { id: envelope.id })));
    await Promise.all(['bad-1', 'bad-2'].map((orderId) => metro!.publish(Placed, { orderId })));
    await waitFor(async () => (await failures.list({ service })).items.length === 2, 15_000, 'two failure records');
    await waitFor(async () => (await metro!.transport.inspectQueue(service))?.messages === 0, 5000, 'an empty queue');

    expect(await count(sql<{ n: number }>`select count(*)::int as n from ${effects('orders')}`)).toBe(80);
    const recorded = await inboxIds(`${service}:store-orders`);
    expect(recorded.sort()).toEqual(published.map((e) => e.id).sort()); // the refused ones are not in the inbox
    const records = (await failures.list({ service })).items;
    expect(records.map((r) => (r.envelope?.data as { orderId: string }).orderId).sort()).toEqual(['bad-1', 'bad-2']);
    for (const r of records) expect(r).toMatchObject({ reason: 'handler', handler: 'store-orders', attempts: 2 });
    expect(Math.max(...sizes)).toBeLessThanOrEqual(32);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
  });
});
