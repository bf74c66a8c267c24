import { pgNotifications } from '@metro/outbox-pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, createSchedulerWorker, type Scheduler, type SchedulerWorker } from '../src/index.js';
import { defineEvent } from '@metro/core';
import { sql } from 'kysely';
import { z } from 'zod';
import { createTestDb, ExpireCart, outboxRows, Reminder, sleep, waitFor, type TestDb } from './helpers.js';

let t: TestDb;
let scheduler: Scheduler;
const workers: SchedulerWorker[] = [];

function startWorker(options: { pollInterval?: number; batchSize?: number } = {}): SchedulerWorker {
  const worker = createSchedulerWorker({
    db: t.db,
    schema: t.schema,
    listen: pgNotifications(t.pool),
    pollInterval: options.pollInterval ?? 30_000,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  workers.push(worker);
  return worker;
}

async function rowsFor(ids: string[]) {
  const wanted = new Set(ids);
  return (await outboxRows(t.db, t.schema)).filter((r) => wanted.has(r.message_id));
}

beforeAll(async () => {
  t = await createTestDb('sched_worker');
  scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'orders' });
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});
afterAll(async () => {
  await t.close();
});

describe('scheduler worker', () => {
  it('fires a schedule on time, woken by NOTIFY (the fallback poll is 30 s)', async () => {
    const worker = startWorker();
    await worker.start();
    await sleep(200); // the worker is asleep on an empty table
    const at = new Date(Date.now() + 400);
    const id = await scheduler.schedule(undefined, Reminder, { orderId: 'on-time' }, { at });
    const [row] = await waitFor(async () => {
      const rows = await rowsFor([id]);
      return rows.length > 0 ? rows : undefined;
    }, 5000);
    const lateness = row!.created_at.getTime() - at.getTime();
    expect(lateness).toBeGreaterThanOrEqual(0);
    expect(lateness).toBeLessThan(250); // goal is p99 < 100 ms; slack for a shared 2-core machine
    const body = JSON.parse(Buffer.from(row!.body).toString('utf8')) as { id: string; data: unknown };
    expect(body).toMatchObject({ id, data: { orderId: 'on-time' } });
    const item = (await scheduler.list({ type: 'reminder', status: 'fired' })).items.find((i) => i.id === id);
    expect(item?.firedAt).toBeInstanceOf(Date);
    expect(worker.stats().fired).toBe(1);
  });

  it('never fires a cancelled schedule', async () => {
    await startWorker().start();
    const at = new Date(Date.now() + 300);
    const kept = await scheduler.schedule(undefined, Reminder, { orderId: 'kept' }, { at, tags: { case: 'cancel', keep: true } });
    const dropped = await scheduler.schedule(undefined, Reminder, { orderId: 'dropped' }, { at, tags: { case: 'cancel', keep: false } });
    const byId = await scheduler.schedule(undefined, Reminder, { orderId: 'dropped-by-id' }, { at });
    expect(await scheduler.cancel({ type: 'reminder', tags: { case: 'cancel', keep: 'false' } })).toBe(1);
    expect(await scheduler.cancelById(byId)).toBe(true);
    await waitFor(async () => (await rowsFor([kept])).length === 1, 5000);
    await sleep(500);
    expect((await rowsFor([kept, dropped, byId])).map((r) => r.message_id)).toEqual([kept]);
  });

  it('fires a schedule moved earlier by reschedule (NOTIFY), not at its old time', async () => {
    await startWorker().start();
    const id = await scheduler.schedule(undefined, Reminder, { orderId: 'moved' }, { delay: '1h' });
    await sleep(100);
    const at = new Date(Date.now() + 300);
    expect(await scheduler.reschedule(id, at)).toBe(true);
    const rows = await waitFor(async () => {
      const r = await rowsFor([id]);
      return r.length > 0 ? r : undefined;
    }, 5000);
    expect(rows[0]!.created_at.getTime() - at.getTime()).toBeLessThan(250);
  });

  it('fires past-due schedules at once on start, in due order; a date in the past fires now', async () => {
    const now = Date.now();
    const offsets = [-5000, -60_000, -1000, -30_000, -200];
    const ids: { id: string; due: number }[] = [];
    for (const offset of offsets) {
      const at = new Date(now + offset);
      ids.push({ id: await scheduler.schedule(undefined, Reminder, { orderId: `past${offset}` }, { at }), due: at.getTime() });
    }
    const started = Date.now();
    await startWorker({ batchSize: 2 }).start();
    const rows = await waitFor(async () => {
      const r = await rowsFor(ids.map((x) => x.id));
      return r.length === ids.length ? r : undefined;
    }, 5000);
    expect(Date.now() - started).toBeLessThan(2000);
    const expected = [...ids].sort((a, b) => a.due - b.due).map((x) => x.id);
    expect(rows.map((r) => r.message_id)).toEqual(expected);
  });

  it("a fired event keeps its unroutable policy (definition's, the schedule's own, else accept) for the relay; a command carries none", async () => {
    const Strict = defineEvent({ topic: 'orders', type: 'strict-reminder', schema: z.object({ orderId: z.string() }), unroutable: 'error' });
    const past = new Date(Date.now() - 1000);
    const ids = {
      byDefinition: await scheduler.schedule(undefined, Strict, { orderId: 'a' }, { at: past }),
      bySchedule: await scheduler.schedule(undefined, Reminder, { orderId: 'b' }, { at: past, unroutable: 'error' }),
      byDefault: await scheduler.schedule(undefined, Reminder, { orderId: 'c' }, { at: past }),
      command: await scheduler.schedule(undefined, ExpireCart, { cartId: 'd' }, { at: past }),
    };
    await scheduler.every(`strict-every-${t.schema}`, '* * * * * *', Strict, { orderId: 'e' });
    await startWorker({ pollInterval: 50 }).start();
    const destinations = await waitFor(async () => {
      const rows = await sql<{ message_id: string; type: string; destination: { unroutable?: string } }>`
        SELECT message_id, type, destination FROM ${sql.id(t.schema, 'outbox')}`.execute(t.db);
      const recurring = rows.rows.find((r) => r.type === 'strict-reminder' && !Object.values(ids).includes(r.message_id));
      const byId = new Map(rows.rows.map((r) => [r.message_id, r.destination.unroutable]));
      return recurring && Object.values(ids).every((id) => byId.has(id)) ? { byId, recurring: recurring.destination.unroutable } : undefined;
    }, 5000);
    expect(destinations.byId.get(ids.byDefinition)).toBe('error');
    expect(destinations.byId.get(ids.bySchedule)).toBe('error');
    expect(destinations.byId.get(ids.byDefault)).toBe('accept');
    expect(destinations.byId.get(ids.command)).toBeUndefined();
    expect(destinations.recurring).toBe('error');
    await scheduler.removeRecurring(`strict-every-${t.schema}`);
  });

  it('stop() is safe to call twice and a stopped worker fires nothing', async () => {
    const worker = startWorker({ pollInterval: 100 });
    await worker.start();
    await worker.stop();
    await worker.stop();
    const id = await scheduler.schedule(undefined, Reminder, { orderId: 'after-stop' }, { delay: 50 });
    await sleep(400);
    expect(await rowsFor([id])).toHaveLength(0);
    await scheduler.cancelById(id);
  });
  it('start and stop called without waiting for each other leave no loop running after the last stop', async () => {
    const worker = createSchedulerWorker({ db: t.db, schema: t.schema, listen: pgNotifications(t.pool), pollInterval: 20 });
    await worker.start();
    const stopping = worker.stop();
    const starting = worker.start(); // while the stop waits for the loop
    await Promise.all([stopping, starting]);
    const firstStop = worker.stop();
    void worker.start();
    await worker.stop();
    await firstStop;
    const id = await scheduler.schedule(undefined, Reminder, { orderId: 'after-stop' }, { at: new Date(Date.now() + 50) });
    await sleep(400);
    expect(await rowsFor([id])).toHaveLength(0); // nothing left running fires it
    workers.push(worker);
    await worker.start();
    await waitFor(async () => ((await rowsFor([id])).length > 0 ? true : undefined), 5000);
  });
});
