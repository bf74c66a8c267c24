import { pgNotifications } from '@metro/outbox-pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, createSchedulerWorker, type SchedulerWorker } from '../src/index.js';
import { createTestDb, outboxRows, Reminder, sleep, Tick, waitFor, type TestDb } from './helpers.js';

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb('sched_conc');
});
afterAll(async () => {
  await t.close();
});

function worker(batchSize = 100): SchedulerWorker {
  return createSchedulerWorker({ db: t.db, schema: t.schema, listen: pgNotifications(t.pool), batchSize, pollInterval: '5s' });
}

describe('several workers', () => {
  it('two workers fire each of 400 schedules exactly once', async () => {
    const scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'orders' });
    const base = Date.now() + 300;
    const ids: string[] = [];
    // 200 already due, 200 due over the next second.
    for (let i = 0; i < 400; i++) {
      const at = new Date(i < 200 ? base - 5000 + i : base + (i - 200) * 5);
      ids.push(await scheduler.schedule(undefined, Reminder, { orderId: `two-${i}` }, { at }));
    }
    const a = worker(10);
    const b = worker(10);
    await Promise.all([a.start(), b.start()]);
    try {
      await waitFor(async () => (await outboxRows(t.db, t.schema)).filter((r) => r.type === 'reminder').length >= 400, 15_000);
      await sleep(300);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const rows = (await outboxRows(t.db, t.schema)).filter((r) => r.type === 'reminder');
    expect(rows).toHaveLength(400);
    expect(new Set(rows.map((r) => r.message_id))).toEqual(new Set(ids));
    expect(a.stats().fired + b.stats().fired).toBe(400);
    expect(a.stats().fired).toBeGreaterThan(0);
    expect(b.stats().fired).toBeGreaterThan(0);
    const pending = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(t.schema, 'scheduled_messages')} WHERE status = 'pending'`.execute(t.db);
    expect(Number(pending.rows[0]!.n)).toBe(0);
  });

  it('a recurring schedule declared by 3 instances fires once per tick', async () => {
    const instances = [1, 2, 3].map((n) => createScheduler({ db: t.db, schema: t.schema, source: `billing-${n}` }));
    await Promise.all(instances.map((s) => s.every('every-second', '* * * * * *', Tick, { n: 7 })));
    await Promise.all(instances.map((s) => s.every('every-second', '* * * * * *', Tick, { n: 7 }))); // restarts declare again
    const workers = [worker(), worker(), worker()];
    await Promise.all(workers.map((w) => w.start()));
    await sleep(3600);
    await Promise.all(workers.map((w) => w.stop()));
    await instances[0]!.removeRecurring('every-second');

    const rows = (await outboxRows(t.db, t.schema)).filter((r) => r.type === 'tick');
    const times = rows.map((r) => (JSON.parse(Buffer.from(r.body).toString('utf8')) as { time: string }).time);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.length).toBeLessThanOrEqual(5);
    expect(new Set(times).size).toBe(rows.length); // one message per tick
    for (const time of times) expect(new Date(time).getUTCMilliseconds()).toBe(0); // on the second
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(rows.length);
    expect(workers.reduce((n, w) => n + w.stats().recurringFired, 0)).toBe(rows.length);
    const [recurring] = await instances[1]!.listRecurring();
    expect(recurring).toBeUndefined();
  });
});
