import { silentLogger } from '@metro/core';
import { TcpProxy } from '@metro/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, createSchedulerWorker, type SchedulerWorker } from '../src/index.js';
import { createDb, createTestDb, outboxRows, Reminder, waitFor, type TestDb } from './helpers.js';

let t: TestDb;
const workers: SchedulerWorker[] = [];
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  t = await createTestDb('sched_health');
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  for (const close of closers) await close();
  await t.close();
}, 30_000);

function worker(db = t.db, health: Parameters<typeof createSchedulerWorker>[0]['health'] = {}): SchedulerWorker {
  const w = createSchedulerWorker({ db, schema: t.schema, pollInterval: 100, logger: silentLogger, health });
  workers.push(w);
  return w;
}

describe('worker.health() on PostgreSQL', () => {
  it('reports the lateness of overdue schedules over its thresholds while no worker fires them, and healthy once one does', async () => {
    const scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'orders' });
    const ids = [
      await scheduler.schedule(undefined, Reminder, { orderId: 'late-1' }, { at: new Date(Date.now() - 3000) }),
      await scheduler.schedule(undefined, Reminder, { orderId: 'late-2' }, { at: new Date(Date.now() - 500) }),
    ];
    const w = worker(t.db, { name: 'reminders', lateness: { degraded: '1s', unhealthy: '2s' } });
    const idle = await w.health();
    expect(idle).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    expect(Object.keys(idle.checks)).toEqual(['reminders.worker', 'reminders.database', 'reminders.lateness']);
    expect(idle.checks['reminders.worker']!.message).toContain('worker.start()');
    const lateness = idle.checks['reminders.lateness']!;
    expect(lateness).toMatchObject({ status: 'unhealthy', liveness: false, observed: { overdue: 2 }, thresholds: { degradedMs: 1000, unhealthyMs: 2000 } });
    expect(Number(lateness.observed['ageMs'])).toBeGreaterThanOrEqual(2900);
    expect(lateness.message).toContain('check that a scheduler worker runs');
    expect(idle.checks['reminders.database']).toMatchObject({ status: 'healthy' });

    await w.start();
    await waitFor(async () => (await outboxRows(t.db, t.schema)).filter((r) => ids.includes(r.message_id)).length === 2 || undefined, 10_000);
    const fired = await w.health();
    expect(fired).toMatchObject({ status: 'healthy', ready: true, live: true });
    expect(fired.checks['reminders.lateness']).toMatchObject({ status: 'healthy', message: 'no schedule is overdue', observed: { ageMs: null, overdue: 0 } });
    expect(fired.checks['reminders.worker']).toMatchObject({ status: 'healthy', liveness: true, observed: { running: true, errors: 0 } });
    await w.stop();
  });

  it('reports the database unreachable within its timeout and the worker failing, not ready but live, and healthy once it is back', async () => {
    const proxy = new TcpProxy('127.0.0.1', 5432);
    const port = await proxy.start();
    const { db } = createDb(`postgres://postgres@127.0.0.1:${port}/test`, 4);
    closers.push(async () => {
      proxy.restore();
      await db.destroy().catch(() => undefined);
      await proxy.close();
    });
    const w = worker(db, { timeout: '500ms' });
    await w.start();
    await waitFor(async () => (await w.health()).status === 'healthy' || undefined, 10_000);

    proxy.cutAll();
    await waitFor(async () => (await w.health()).checks['scheduler-worker.worker']!.status === 'degraded' || undefined, 10_000);
    const started = Date.now();
    const down = await w.health();
    expect(Date.now() - started).toBeLessThan(3000); // bounded by the 500 ms timeout (generous for a loaded machine)
    expect(down).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    expect(down.checks['scheduler-worker.database']).toMatchObject({ status: 'unhealthy', thresholds: { timeoutMs: 500 } });
    expect(down.checks['scheduler-worker.database']!.message).toContain('the scheduler worker backs off and resumes by itself');
    expect(down.checks['scheduler-worker.worker']!.message).toContain('check the database');
    expect(down.checks['scheduler-worker.lateness']).toMatchObject({ status: 'degraded', observed: { ageMs: null } });
    const liveness = await w.health({ probe: 'liveness' });
    expect(liveness).toMatchObject({ live: true, status: 'degraded' });
    expect(Object.keys(liveness.checks)).toEqual(['scheduler-worker.worker']);

    proxy.restore();
    await waitFor(async () => (await w.health()).status === 'healthy' || undefined, 15_000);
    await w.stop();
  }, 40_000);
});
