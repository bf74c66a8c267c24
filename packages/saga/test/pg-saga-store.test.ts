import { defineCommand } from '@metro/core';
import { createScheduler } from '@metro/scheduler';
import type { TestDatabase } from '@metro/test-support';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pgSagaStore, SagaConcurrencyError, type SagaWrite } from '../src/index.js';
import { createSagaDatabase } from './support/database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createSagaDatabase('saga_store');
});
afterAll(async () => {
  await t?.drop();
});

const write = (key: string, expectedVersion: number, state: unknown, extra: Partial<SagaWrite> = {}): SagaWrite => ({
  saga: 'store-test',
  key,
  expectedVersion,
  state,
  currentState: null,
  status: 'active',
  timeouts: {},
  history: [],
  expiresAt: null,
  ...extra,
});

describe('pgSagaStore', () => {
  it('creates a saga once when two transactions start it at the same time; the second waits for the first and sees its write', async () => {
    const store = pgSagaStore(t.db, { schema: t.schema });
    let firstLocked!: () => void;
    const locked = new Promise<void>((r) => (firstLocked = r));
    const first = t.db.transaction().execute(async (trx) => {
      const saga = await store.lock(trx, 'store-test', 'race', { create: true });
      firstLocked();
      await new Promise((r) => setTimeout(r, 300));
      await store.save(trx, write('race', saga!.version, { by: 'first' }));
      return saga!;
    });
    await locked;
    const started = Date.now();
    const second = await t.db.transaction().execute(async (trx) => {
      const saga = await store.lock(trx, 'store-test', 'race', { create: true });
      await store.save(trx, write('race', saga!.version, { by: 'second', saw: saga!.state }));
      return saga!;
    });
    const firstSaga = await first;
    expect(firstSaga).toMatchObject({ created: true, version: 0 });
    expect(second).toMatchObject({ created: false, version: 1, state: { by: 'first' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(200); // it waited on the row lock (bound: the first held it 300 ms)
    expect(await store.get('store-test', 'race')).toMatchObject({ version: 2, state: { by: 'second', saw: { by: 'first' } } });
  });

  it('refuses a write at a stale version with SagaConcurrencyError and rolls it back', async () => {
    const store = pgSagaStore(t.db, { schema: t.schema });
    await t.db.transaction().execute(async (trx) => {
      await store.lock(trx, 'store-test', 'stale', { create: true });
      await store.save(trx, write('stale', 0, { n: 1 }));
    });
    await expect(t.db.transaction().execute((trx) => store.save(trx, write('stale', 0, { n: 2 })))).rejects.toBeInstanceOf(SagaConcurrencyError);
    await expect(t.db.transaction().execute((trx) => store.remove(trx, 'store-test', 'stale', 5))).rejects.toBeInstanceOf(SagaConcurrencyError);
    expect(await store.get('store-test', 'stale')).toMatchObject({ version: 1, state: { n: 1 } });
    expect(await t.db.transaction().execute((trx) => store.lock(trx, 'store-test', 'missing', { create: false }))).toBeUndefined();
  });

  it('lists by saga, status and current state, page by page; gets one', async () => {
    const store = pgSagaStore(t.db, { schema: t.schema });
    for (let i = 0; i < 7; i++) {
      await t.db.transaction().execute(async (trx) => {
        await store.lock(trx, 'listed', `k${i}`, { create: true });
        await store.save(trx, { ...write(`k${i}`, 0, { i }), saga: 'listed', currentState: i % 2 === 0 ? 'even' : 'odd' });
      });
    }
    const first = await store.list({ saga: 'listed', currentState: 'even', limit: 3 });
    expect(first.items.map((s) => s.key)).toEqual(['k0', 'k2', 'k4']);
    const second = await store.list({ saga: 'listed', currentState: 'even', limit: 3, cursor: first.nextCursor! });
    expect(second).toMatchObject({ nextCursor: null });
    expect(second.items.map((s) => s.key)).toEqual(['k6']);
    expect((await store.list({ saga: 'listed', status: 'completed' })).items).toEqual([]);
    expect(await store.get('listed', 'k3')).toMatchObject({ saga: 'listed', key: 'k3', currentState: 'odd', status: 'active', version: 1, state: { i: 3 } });
    expect(await store.get('listed', 'nope')).toBeUndefined();
  });

  it('lets an operator complete or delete a saga, cancelling its pending timeouts; prune removes expired ones', async () => {
    const scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'ops' });
    const Due = defineCommand({ service: 'ops', type: 'due', schema: z.object({ k: z.string() }) });
    const store = pgSagaStore(t.db, { schema: t.schema, scheduler });
    for (const key of ['stuck', 'gone']) {
      await t.db.transaction().execute(async (trx) => {
        const id = `timeout-${key}-${t.schema}`;
        await scheduler.schedule(trx, Due, { k: key }, { delay: '1h', id });
        await store.lock(trx, 'ops', key, { create: true });
        await store.save(trx, { ...write(key, 0, { key }), saga: 'ops', timeouts: { 'ops:due': { id, dueAt: new Date().toISOString() } } });
      });
    }
    const completed = await store.complete('ops', 'stuck', { keepMs: 1 });
    expect(completed).toMatchObject({ status: 'completed', version: 2, timeouts: {} });
    expect(completed!.history.at(-1)).toMatchObject({ message: 'operator:complete', version: 2 });
    expect(await store.complete('ops', 'stuck')).toBeUndefined(); // not active any more
    expect(await store.delete('ops', 'gone')).toBe(true);
    expect(await store.delete('ops', 'gone')).toBe(false);
    const statuses = await sql<{ id: string; status: string }>`SELECT id, status FROM ${sql.id(t.schema, 'scheduled_messages')} ORDER BY id`.execute(t.db);
    expect(statuses.rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.prune()).toBe(1);
    expect(await store.get('ops', 'stuck')).toBeUndefined();
  });
});
