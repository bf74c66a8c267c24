// The admin API's sagas.* procedures over @metro/saga's table on PostgreSQL: list by saga, status and
// current state; get one; complete and delete for operators (their pending timeouts cancelled);
// state hidden from viewers; a schema without the saga table answers PRECONDITION_FAILED.
import { defineCommand } from '@metro/core';
import { migrateSagas, pgSagaStore } from '@metro/saga';
import { createScheduler } from '@metro/scheduler';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAdminRouter, type AdminRouter } from '../src/index.js';
import { createTestDb, roleAuth } from './support.js';

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
const Due = defineCommand({ service: 'orders', type: 'payment-due', schema: z.object({ orderId: z.string() }) });

beforeAll(async () => {
  env = await createTestDb('admin_sagas');
  await migrateSagas(env.db, { schema: env.schema });
  admin = createAdminRouter({ db: env.db, schema: env.schema, authorize: roleAuth(), audit: { payloadReads: true } });
  const store = pgSagaStore(env.db, { schema: env.schema });
  const scheduler = createScheduler({ db: env.db, schema: env.schema, source: 'orders' });
  for (const [key, currentState] of [
    ['o-1', 'awaiting-payment'],
    ['o-2', 'awaiting-payment'],
    ['o-3', 'reminded'],
  ] as const) {
    await env.db.transaction().execute(async (trx) => {
      const id = await scheduler.schedule(trx, Due, { orderId: key }, { delay: '1h' });
      await store.lock(trx, 'order', key, { create: true });
      await store.save(trx, {
        saga: 'order',
        key,
        expectedVersion: 0,
        state: { orderId: key, phone: '+44 1' },
        currentState,
        status: 'active',
        timeouts: { 'orders:payment-due': { id, dueAt: new Date(Date.now() + 3_600_000).toISOString() } },
        history: [{ messageId: `m-${key}`, message: 'orders.placed', version: 1, at: new Date().toISOString() }],
        expiresAt: null,
      });
    });
  }
});

afterAll(async () => {
  await admin?.close();
  await env?.drop();
});

describe('admin sagas.*', () => {
  it('lists sagas by saga and current state, page by page, and gets one with its timeouts and history', async () => {
    const operator = admin.createCaller({ id: 'ops', roles: ['operator'] });
    const first = await operator.sagas.list({ saga: 'order', currentState: 'awaiting-payment', limit: 1 });
    expect(first.items.map((s) => s.key)).toEqual(['o-1']);
    const second = await operator.sagas.list({ saga: 'order', currentState: 'awaiting-payment', limit: 1, cursor: first.nextCursor! });
    expect(second.items.map((s) => s.key)).toEqual(['o-2']);
    const one = await operator.sagas.get({ saga: 'order', key: 'o-3' });
    expect(one).toMatchObject({ currentState: 'reminded', status: 'active', version: 1, state: { orderId: 'o-3' }, stateHidden: false });
    expect(Object.keys(one!.timeouts)).toEqual(['orders:payment-due']);
    expect(one!.history.map((h) => h.message)).toEqual(['orders.placed']);
    expect(await operator.sagas.get({ saga: 'order', key: 'nope' })).toBeNull();
    const reads = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(env.schema, 'admin_audit')} WHERE kind = 'payload-read'`.execute(env.db);
    expect(Number(reads.rows[0]!.n)).toBe(3);
  });

  it('hides the state from a viewer and refuses it the operator actions', async () => {
    const viewer = admin.createCaller({ id: 'watcher', roles: ['viewer'] });
    expect(await viewer.sagas.get({ saga: 'order', key: 'o-1' })).toMatchObject({ state: null, stateHidden: true, version: 1 });
    await expect(viewer.sagas.complete({ saga: 'order', key: 'o-1' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(viewer.sagas.delete({ saga: 'order', key: 'o-1' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('lets an operator complete and delete stuck sagas, cancelling their pending timeouts', async () => {
    const operator = admin.createCaller({ id: 'ops', roles: ['operator'] });
    const timeoutOf = async (key: string) => Object.values((await operator.sagas.get({ saga: 'order', key }))!.timeouts)[0]!.id;
    const t1 = await timeoutOf('o-1');
    const t2 = await timeoutOf('o-2');
    expect(await operator.sagas.complete({ saga: 'order', key: 'o-1', keepDays: 1 })).toEqual({ completed: true });
    expect(await operator.sagas.complete({ saga: 'order', key: 'o-1' })).toEqual({ completed: false });
    expect(await operator.sagas.get({ saga: 'order', key: 'o-1' })).toMatchObject({ status: 'completed', version: 2, timeouts: {} });
    expect(await operator.sagas.delete({ saga: 'order', key: 'o-2' })).toEqual({ deleted: true });
    expect(await operator.sagas.get({ saga: 'order', key: 'o-2' })).toBeNull();
    const statuses = await sql<{
      id: string;
      status: string;
    }>`SELECT id, status FROM ${sql.id(env.schema, 'scheduled_messages')} WHERE id IN (${t1}, ${t2})`.execute(env.db);
    expect(statuses.rows.map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect((await operator.sagas.list({ saga: 'order', status: 'completed' })).items.map((s) => s.key)).toEqual(['o-1']);
  });

  it('answers PRECONDITION_FAILED for a schema without the saga table', async () => {
    const bare = await createTestDb('admin_nosagas');
    const other = createAdminRouter({ db: bare.db, schema: bare.schema, authorize: roleAuth() });
    try {
      await expect(other.createCaller({ id: 'ops', roles: ['operator'] }).sagas.list()).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    } finally {
      await other.close();
      await bare.drop();
    }
  });
});
