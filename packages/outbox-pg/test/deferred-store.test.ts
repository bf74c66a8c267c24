import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { InMemoryDeferredStore, type DeferredStore, type NewDeferred } from '@metro/core';
import { migrate, pgDeferredStore } from '../src/index.js';
import { createTestDb, dropSchema, uniqueSchema, type TestDb } from './helpers.js';

function newDeferred(type = 'placed', service = 'billing'): NewDeferred {
  const id = `d-${Math.random().toString(36).slice(2)}`;
  return {
    messageId: id,
    service,
    queue: service,
    handler: 'charge',
    type,
    reason: 'waiting for stock',
    correlationId: 'c1',
    envelope: {
      specversion: '1.0',
      id,
      source: 'orders',
      type,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { n: 1 },
      kind: 'event',
      topic: 'orders',
    },
    body: new TextEncoder().encode('{"n":1}'),
    contentType: 'application/cloudevents+json',
    headers: { a: 'b' },
  };
}

const schemas: string[] = [];
let t: TestDb;
beforeAll(() => {
  t = createTestDb();
});
afterAll(async () => {
  for (const s of schemas) await dropSchema(t.db, s);
  await t.db.destroy();
});

function behaviour(name: string, make: () => Promise<DeferredStore>) {
  describe(`DeferredStore behaviour: ${name}`, () => {
    it('defers with increasing seq, gets, lists oldest first with filters and paging', async () => {
      const store = await make();
      const a = await store.defer(newDeferred('placed'));
      const b = await store.defer(newDeferred('cancelled', 'shipping'));
      const c = await store.defer(newDeferred('placed'));
      expect(a.seq).toBeLessThan(b.seq);
      expect(b.seq).toBeLessThan(c.seq);
      expect(await store.get(b.seq)).toEqual(b);
      expect(b.deferredAt).toBeInstanceOf(Date);
      expect(b.body).toEqual(new TextEncoder().encode('{"n":1}'));
      expect(await store.get(999_999)).toBeUndefined();
      expect((await store.list({ type: 'placed' })).items.map((r) => r.seq)).toEqual([a.seq, c.seq]);
      expect((await store.list({ service: 'shipping' })).items.map((r) => r.seq)).toEqual([b.seq]);
      const page1 = await store.list({ limit: 2 });
      expect(page1.items.map((r) => r.seq)).toEqual([a.seq, b.seq]);
      const page2 = await store.list({ limit: 2, cursor: page1.nextCursor! });
      expect(page2.items.map((r) => r.seq)).toEqual([c.seq]);
      expect(page2.nextCursor).toBeNull();
    });

    it('take is atomic and restore keeps the seq', async () => {
      const store = await make();
      const a = await store.defer(newDeferred());
      const taken = await Promise.all([store.take(a.seq), store.take(a.seq)]);
      expect(taken.filter((x) => x !== undefined)).toHaveLength(1);
      expect(await store.get(a.seq)).toBeUndefined();
      await store.restore(taken.find((x) => x !== undefined)!);
      expect(await store.get(a.seq)).toEqual(a);
      const next = await store.defer(newDeferred());
      expect(next.seq).toBeGreaterThan(a.seq);
    });
  });
}

behaviour('InMemoryDeferredStore (reference)', async () => new InMemoryDeferredStore());
behaviour('pgDeferredStore', async () => {
  const schema = uniqueSchema('def');
  schemas.push(schema);
  await migrate(t.db, { schema });
  return pgDeferredStore(t.db, { schema });
});

describe('pgDeferredStore.complete', () => {
  it('removes a deferred message for good', async () => {
    const schema = uniqueSchema('defc');
    schemas.push(schema);
    await migrate(t.db, { schema });
    const store = pgDeferredStore(t.db, { schema });
    const a = await store.defer(newDeferred());
    expect(await store.complete(a.seq)).toBe(true);
    expect(await store.complete(a.seq)).toBe(false);
    expect(await store.get(a.seq)).toBeUndefined();
  });
});

describe('pgDeferredStore.resumeThroughOutbox', () => {
  async function fresh(label: string) {
    const schema = uniqueSchema(label);
    schemas.push(schema);
    await migrate(t.db, { schema });
    return { schema, store: pgDeferredStore(t.db, { schema }) };
  }
  const outboxRows = async (schema: string) =>
    (
      await sql<{
        message_id: string;
        type: string;
        destination: unknown;
        headers: Record<string, unknown>;
        body: Uint8Array;
        content_type: string;
        aggregate_id: string | null;
      }>`select message_id, type, destination, headers, body, content_type, aggregate_id from ${sql.id(schema, 'outbox')} order by seq`.execute(t.db)
    ).rows;

  it('writes one outbox row with the deferred message and removes the deferred row', async () => {
    const { schema, store } = await fresh('defr');
    const a = await store.defer(newDeferred());
    expect(await store.resumeThroughOutbox(a.seq)).toBe(true);
    expect(await store.get(a.seq)).toBeUndefined();
    const rows = await outboxRows(schema);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      message_id: a.envelope.id,
      type: 'placed',
      destination: { kind: 'queue', queue: 'billing' },
      content_type: 'application/cloudevents+json',
      aggregate_id: null,
    });
    expect(new Uint8Array(rows[0]!.body)).toEqual(a.body);
    expect(rows[0]!.headers).toEqual({ a: 'b', 'metro-deferred-seq': a.seq, 'metro-attempt': 1, 'metro-handler': 'charge' });
  });

  it('leaves the message deferred when the outbox insert fails', async () => {
    const { schema, store } = await fresh('deff');
    const a = await store.defer(newDeferred());
    await sql`alter table ${sql.id(schema, 'outbox')} rename to outbox_gone`.execute(t.db);
    await expect(store.resumeThroughOutbox(a.seq)).rejects.toThrow(/outbox/);
    expect(await store.get(a.seq)).toEqual(a);
    await sql`alter table ${sql.id(schema, 'outbox_gone')} rename to outbox`.execute(t.db);
    expect(await store.resumeThroughOutbox(a.seq)).toBe(true);
    expect(await outboxRows(schema)).toHaveLength(1);
  });

  it('returns false for an unknown seq and writes nothing', async () => {
    const { schema, store } = await fresh('defu');
    expect(await store.resumeThroughOutbox(424_242)).toBe(false);
    expect(await outboxRows(schema)).toHaveLength(0);
  });

  it('resumes once when asked twice at the same time', async () => {
    const { schema, store } = await fresh('defx');
    const a = await store.defer(newDeferred());
    const results = await Promise.all([store.resumeThroughOutbox(a.seq), store.resumeThroughOutbox(a.seq)]);
    expect(results.sort()).toEqual([false, true]);
    expect(await outboxRows(schema)).toHaveLength(1);
    expect(await store.get(a.seq)).toBeUndefined();
  });
});
