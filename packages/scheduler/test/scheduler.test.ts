import { ValidationError } from '@metro/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, InvalidCronError, InvalidScheduleError, InvalidTagsError, type Scheduler } from '../src/index.js';
import { createTestDb, ExpireCart, Reminder, Tick, type TestDb } from './helpers.js';

let t: TestDb;
let scheduler: Scheduler;
const hour = 3_600_000;

async function count(where = sql`true`): Promise<number> {
  const r = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(t.schema, 'scheduled_messages')} WHERE ${where}`.execute(t.db);
  return Number(r.rows[0]!.n);
}

beforeAll(async () => {
  t = await createTestDb('sched_api');
  scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'orders' });
});
afterAll(async () => {
  await t.close();
});

describe('schedule', () => {
  it('stores a validated envelope and returns its id', async () => {
    const at = new Date(Date.now() + hour);
    const id = await scheduler.schedule(undefined, Reminder, { orderId: 'o-1' }, { at, tags: { orderId: 'o-1' } });
    const page = await scheduler.list({ type: 'reminder', tags: { orderId: 'o-1' } });
    expect(page.items).toHaveLength(1);
    const item = page.items[0]!;
    expect(item.id).toBe(id);
    expect(item.status).toBe('pending');
    expect(item.dueAt.getTime()).toBe(at.getTime());
    expect(item.name).toBe('orders.reminder');
    expect(item.envelope).toMatchObject({ id, type: 'reminder', topic: 'orders', source: 'orders', data: { orderId: 'o-1' }, time: at.toISOString() });
  });

  it('rejects an invalid payload with ValidationError and writes nothing', async () => {
    const before = await count();
    await expect(scheduler.schedule(undefined, Reminder, { orderId: 42 } as never, { delay: '1h' })).rejects.toBeInstanceOf(ValidationError);
    expect(await count()).toBe(before);
  });

  it('commits with the caller transaction and never exists after a rollback', async () => {
    const committed = await t.db.transaction().execute((trx) => scheduler.schedule(trx, Reminder, { orderId: 'tx-ok' }, { delay: '1h' }));
    let rolledBack = '';
    await expect(
      t.db.transaction().execute(async (trx) => {
        rolledBack = await scheduler.schedule(trx, Reminder, { orderId: 'tx-rollback' }, { delay: '1h' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await count(sql`id = ${committed}`)).toBe(1);
    expect(rolledBack).not.toBe('');
    expect(await count(sql`id = ${rolledBack}`)).toBe(0);
  });

  it('works inside a raw pg client transaction', async () => {
    const client = await t.pool.connect();
    try {
      await client.query('BEGIN');
      const kept = await scheduler.schedule(client, Reminder, { orderId: 'pg-1' }, { delay: '1h' });
      await client.query('COMMIT');
      await client.query('BEGIN');
      const dropped = await scheduler.schedule(client, Reminder, { orderId: 'pg-2' }, { delay: '1h' });
      await client.query('ROLLBACK');
      expect(await count(sql`id = ${kept}`)).toBe(1);
      expect(await count(sql`id = ${dropped}`)).toBe(0);
    } finally {
      client.release();
    }
  });

  it('is idempotent by id', async () => {
    const id = 'reminder-fixed-id';
    await scheduler.schedule(undefined, Reminder, { orderId: 'dup' }, { delay: '1h', id });
    await scheduler.schedule(undefined, Reminder, { orderId: 'dup' }, { delay: '2h', id });
    expect(await count(sql`id = ${id}`)).toBe(1);
  });

  it('accepts a date in the past (due at once)', async () => {
    const at = new Date(Date.now() - 10 * 60_000);
    const id = await scheduler.schedule(undefined, Reminder, { orderId: 'past' }, { at });
    const page = await scheduler.list({ tags: {}, type: 'reminder' });
    const item = page.items.find((i) => i.id === id);
    expect(item?.dueAt.getTime()).toBe(at.getTime());
  });

  it('recomputes a command expiry from its due time, not from when it was scheduled', async () => {
    const at = new Date(Date.now() + 2 * hour);
    const id = await scheduler.schedule(undefined, ExpireCart, { cartId: 'c1' }, { at });
    const item = (await scheduler.list({ type: 'expire' })).items.find((i) => i.id === id)!;
    expect(item.kind).toBe('command');
    expect(item.envelope.expiresat).toBe(new Date(at.getTime() + 30_000).toISOString());
  });

  it('rejects bad timing options and bad tags with typed errors', async () => {
    await expect(scheduler.schedule(undefined, Reminder, { orderId: 'x' }, {})).rejects.toBeInstanceOf(InvalidScheduleError);
    await expect(scheduler.schedule(undefined, Reminder, { orderId: 'x' }, { at: new Date(), delay: 5 })).rejects.toBeInstanceOf(InvalidScheduleError);
    await expect(scheduler.schedule(undefined, Reminder, { orderId: 'x' }, { at: new Date('nope') })).rejects.toMatchObject({
      code: 'SCHEDULER_INVALID_SCHEDULE',
    });
    await expect(scheduler.schedule(undefined, Reminder, { orderId: 'x' }, { delay: '5 minutes' as never })).rejects.toBeInstanceOf(InvalidScheduleError);
    await expect(scheduler.schedule(undefined, Reminder, { orderId: 'x' }, { delay: '1h', tags: { nested: { a: 1 } } as never })).rejects.toBeInstanceOf(
      InvalidTagsError,
    );
    await expect(scheduler.cancel({ type: 'reminder', tags: { list: [1] } as never })).rejects.toMatchObject({ code: 'SCHEDULER_INVALID_TAGS' });
  });
});

describe('cancel', () => {
  it('cancels pending schedules of a type whose tags contain all given tags, comparing as strings', async () => {
    await scheduler.schedule(undefined, Reminder, { orderId: 'c-1' }, { delay: '1h', tags: { customer: 7, region: 'eu' } });
    await scheduler.schedule(undefined, Reminder, { orderId: 'c-2' }, { delay: '1h', tags: { customer: '7', region: 'us' } });
    await scheduler.schedule(undefined, Reminder, { orderId: 'c-3' }, { delay: '1h', tags: { customer: 8, region: 'eu' } });
    await scheduler.schedule(undefined, Tick, { n: 1 }, { delay: '1h', tags: { customer: 7 } });
    await scheduler.schedule(undefined, Reminder, { orderId: 'c-4' }, { delay: '1h', tags: { flag: true } });

    expect(await scheduler.cancel({ type: 'reminder', tags: { customer: '7', region: 'eu' } })).toBe(1);
    expect(await scheduler.cancel({ type: 'reminder', tags: { customer: 7 } })).toBe(1); // the 'us' one; number 7 equals '7'
    expect(await scheduler.cancel({ type: 'reminder', tags: { customer: 7 } })).toBe(0); // already cancelled
    expect(await scheduler.cancel({ type: 'reminder', tags: { flag: 1 } })).toBe(0); // true is 'true', not '1'
    expect(await scheduler.cancel({ type: 'reminder', tags: { flag: 'true' } })).toBe(1);
    const tick = await scheduler.list({ type: 'tick', tags: { customer: 7 } });
    expect(tick.items.map((i) => i.status)).toEqual(['pending']); // other type untouched
    const cancelled = await scheduler.list({ type: 'reminder', status: 'cancelled' });
    expect(cancelled.items.every((i) => i.cancelledAt instanceof Date)).toBe(true);
  });

  it('cancelById cancels once; reschedule moves only pending schedules', async () => {
    const id = await scheduler.schedule(undefined, Reminder, { orderId: 'by-id' }, { delay: '1h' });
    const later = new Date(Date.now() + 5 * hour);
    expect(await scheduler.reschedule(id, later)).toBe(true);
    const moved = (await scheduler.list({ type: 'reminder', status: 'pending' })).items;
    const found = await waitList(id);
    expect(found?.dueAt.getTime()).toBe(later.getTime());
    expect(found?.envelope.time).toBe(later.toISOString());
    expect(moved.length).toBeGreaterThan(0);
    expect(await scheduler.cancelById(id)).toBe(true);
    expect(await scheduler.cancelById(id)).toBe(false);
    expect(await scheduler.reschedule(id, new Date())).toBe(false);
    expect(await scheduler.cancelById('no-such-id')).toBe(false);
    await expect(scheduler.reschedule(id, new Date(Number.NaN))).rejects.toBeInstanceOf(InvalidScheduleError);
  });
});

async function waitList(id: string) {
  let cursor: string | undefined;
  for (;;) {
    const page = await scheduler.list({ limit: 100, ...(cursor ? { cursor } : {}) });
    const hit = page.items.find((i) => i.id === id);
    if (hit || !page.nextCursor) return hit;
    cursor = page.nextCursor;
  }
}

describe('list', () => {
  it('pages through schedules in due order with a cursor', async () => {
    const base = Date.now() + 10 * hour;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push(await scheduler.schedule(undefined, Tick, { n: i }, { at: new Date(base + (7 - i) * 1000), tags: { batch: 'paging' } }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await scheduler.list({ tags: { batch: 'paging' }, limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => i.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    await expect(scheduler.list({ cursor: 'garbage' })).rejects.toBeInstanceOf(InvalidScheduleError);
    await expect(scheduler.list({ limit: 0 })).rejects.toBeInstanceOf(InvalidScheduleError);
  });
});

describe('every', () => {
  it('declares a recurring schedule idempotently by name', async () => {
    const a = createScheduler({ db: t.db, schema: t.schema, source: 'svc-a' });
    const b = createScheduler({ db: t.db, schema: t.schema, source: 'svc-b' });
    await Promise.all([a.every('hourly-tick', '0 * * * *', Tick, { n: 1 }), b.every('hourly-tick', '0 * * * *', Tick, { n: 1 })]);
    const first = (await a.listRecurring()).filter((r) => r.name === 'hourly-tick');
    expect(first).toHaveLength(1);
    expect(first[0]!.nextAt.getUTCMinutes()).toBe(0);
    await a.every('hourly-tick', '0 * * * *', Tick, { n: 2 });
    expect((await a.listRecurring()).filter((r) => r.name === 'hourly-tick')[0]!.nextAt.getTime()).toBe(first[0]!.nextAt.getTime());
    await a.every('hourly-tick', '30 9 * * *', Tick, { n: 2 }, { timezone: 'Asia/Tokyo' });
    const changed = (await a.listRecurring()).find((r) => r.name === 'hourly-tick')!;
    expect(changed.cron).toBe('30 9 * * *');
    expect(changed.timezone).toBe('Asia/Tokyo');
    expect(changed.nextAt.getUTCHours()).toBe(0); // 09:30 JST = 00:30 UTC
    expect(await a.removeRecurring('hourly-tick')).toBe(true);
    expect(await a.removeRecurring('hourly-tick')).toBe(false);
  });

  it('rejects an invalid cron or time zone with a clear error and writes nothing', async () => {
    await expect(scheduler.every('bad', '61 * * * *', Tick, { n: 1 })).rejects.toBeInstanceOf(InvalidCronError);
    await expect(scheduler.every('bad', '0 9 * * *', Tick, { n: 1 }, { timezone: 'Nowhere/City' })).rejects.toThrow(/unknown time zone/);
    await expect(scheduler.every('bad', '0 9 * * *', Tick, { n: 'x' } as never)).rejects.toBeInstanceOf(ValidationError);
    expect((await scheduler.listRecurring()).find((r) => r.name === 'bad')).toBeUndefined();
  });
});
