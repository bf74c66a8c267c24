import { defineCommand, defineEvent } from '@metro/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAggregateEventScheduler, createScheduler, createSchedulerWorker, InvalidScheduleError, type Scheduler } from '../src/index.js';
import { createTestDb, outboxRows, waitFor, type TestDb } from './helpers.js';

const UserUpdate = defineEvent({ topic: 'user', type: 'update', schema: z.object({ id: z.string(), name: z.string() }) });
const OrderUpdate = defineEvent({ topic: 'order', type: 'update', schema: z.object({ id: z.string(), name: z.string() }) });
const ExpireUser = defineCommand({ service: 'accounts', type: 'update', schema: z.object({ id: z.string(), name: z.string() }) });
const hour = 3_600_000;

let t: TestDb;
let scheduler: Scheduler;
beforeAll(async () => {
  t = await createTestDb('sched_aggregate');
  scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'accounts' });
});
afterAll(() => t.close());

const pendingNames = async (tags: Record<string, string>): Promise<string[]> =>
  (await scheduler.list({ status: 'pending', tags })).items.map((i) => i.name).sort();

describe('future aggregate events: cancel limited to one aggregate', () => {
  it("cancel({ type, tags, topic }) leaves another aggregate's events of the same type (and commands) alone; without topic it reaches them all", async () => {
    const tags = { id: 'same-1' };
    const at = new Date(Date.now() + hour);
    await scheduler.schedule(undefined, UserUpdate, { id: 'same-1', name: 'u' }, { at, tags });
    await scheduler.schedule(undefined, OrderUpdate, { id: 'same-1', name: 'o' }, { at, tags });
    await scheduler.schedule(undefined, ExpireUser, { id: 'same-1', name: 'c' }, { at, tags });
    expect(await scheduler.cancel({ type: 'update', tags, topic: 'user' })).toBe(1);
    expect(await pendingNames(tags)).toEqual(['accounts:update', 'order.update']);
    expect(await scheduler.cancel({ type: 'update', tags, service: 'accounts' })).toBe(1);
    expect(await pendingNames(tags)).toEqual(['order.update']);
    expect(await scheduler.cancel({ type: 'update', tags })).toBe(1);
    expect(await pendingNames(tags)).toEqual([]);
    await expect(scheduler.cancel({ type: 'update', tags, topic: 'user', service: 'accounts' })).rejects.toBeInstanceOf(InvalidScheduleError);
    await expect(scheduler.cancel({ type: 'update', tags, topic: '' })).rejects.toBeInstanceOf(InvalidScheduleError);
  });

  it('createAggregateEventScheduler: schedules in the aggregate envelope, cancels in its own aggregate only, refuses an empty cancel', async () => {
    const future = createAggregateEventScheduler({ db: t.db, schema: t.schema, source: 'accounts' });
    const tags = { userId: 'u-2' };
    await future.schedule(undefined, UserUpdate, { id: 'u-2', name: 'later' }, { delay: '1h', tags });
    await future.schedule(undefined, OrderUpdate, { id: 'u-2', name: 'order' }, { delay: '1h', tags });
    expect(await future.cancel(UserUpdate, { userId: 'u-2' })).toBe(1);
    expect(await pendingNames(tags)).toEqual(['order.update']);
    await expect(future.cancel(UserUpdate, {})).rejects.toBeInstanceOf(InvalidScheduleError);
    expect(await future.cancel(OrderUpdate, tags)).toBe(1);

    // Due now: the worker fires it into the outbox in the aggregate envelope, as a Python consumer reads it.
    const id = await future.schedule(undefined, UserUpdate, { id: 'u-3', name: 'now' }, { at: new Date(Date.now() - 1000), tags: { userId: 'u-3' } });
    const worker = createSchedulerWorker({ db: t.db, schema: t.schema, pollInterval: 50 });
    await worker.start();
    try {
      const row = await waitFor(async () => (await outboxRows(t.db, t.schema)).find((r) => r.message_id === id));
      expect(JSON.parse(row.body.toString('utf8'))).toMatchObject({ eventId: id, eventType: 'update', aggregate: 'user', payload: { id: 'u-3', name: 'now' } });
    } finally {
      await worker.stop();
    }
  });
});
