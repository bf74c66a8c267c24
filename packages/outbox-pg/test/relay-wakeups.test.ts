import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { InMemoryTransport, uuidv7, type OutgoingMessage, type Transport } from '@metro/core';
import { createOutboxRelay, insertOutboxRows, migrate, pgNotifications, type OutboxRowInput } from '../src/index.js';
import { LaneWakeups } from '../src/relay/lane-wakeups.js';
import { createTestDb, dropSchema, sleep, uniqueSchema, waitFor, type TestDb } from './helpers.js';

const encoder = new TextEncoder();

function rows(count: number, topic: string): OutboxRowInput[] {
  return Array.from({ length: count }, (_, i) => ({
    messageId: uuidv7(),
    type: 'evt',
    destination: { kind: 'topic', topic, subject: 'evt' },
    aggregateId: null,
    body: encoder.encode(JSON.stringify({ i })),
    contentType: 'application/json',
    headers: {},
    expiresAt: null,
  }));
}

describe('LaneWakeups', () => {
  it('a notification wakes one sleeping lane, the last to fall asleep; with none asleep it is owed to the next lane that finishes', async () => {
    const wakeups = new LaneWakeups();
    const woken: string[] = [];
    const a = wakeups.sleep(10_000).then(() => woken.push('a'));
    const b = wakeups.sleep(10_000).then(() => woken.push('b'));
    wakeups.notify();
    await b;
    expect(woken).toEqual(['b']);
    wakeups.notify();
    await a;
    expect(woken).toEqual(['b', 'a']);
    expect(wakeups.takeOwed()).toBe(false);
    const mark = wakeups.mark();
    expect(wakeups.since(mark)).toBe(false);
    wakeups.notify(); // nobody asleep
    wakeups.notify();
    expect(wakeups.since(mark)).toBe(true);
    // One claim after the latest notification covers both: at most one is owed.
    expect(wakeups.takeOwed()).toBe(true);
    expect(wakeups.takeOwed()).toBe(false);
  });

  it('spare wakes one sleeper and owes nothing; a pause (backoff) is ended by all, not by notifications', async () => {
    const wakeups = new LaneWakeups();
    wakeups.spare();
    expect(wakeups.takeOwed()).toBe(false);
    let paused = false;
    const pause = wakeups.pause(10_000).then(() => void (paused = true));
    let slept = false;
    const sleeping = wakeups.sleep(10_000).then(() => void (slept = true));
    wakeups.spare();
    await sleeping;
    expect(slept).toBe(true);
    wakeups.notify(); // no sleeper: owed, and the pause goes on
    await sleep(20);
    expect(paused).toBe(false);
    expect(wakeups.takeOwed()).toBe(true);
    wakeups.all();
    await pause;
    expect(paused).toBe(true);
  });

  it('a sleep ends on its own after its time', async () => {
    const wakeups = new LaneWakeups();
    const started = Date.now();
    await wakeups.sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    wakeups.notify(); // the timed-out sleeper is gone: the notification is owed
    expect(wakeups.takeOwed()).toBe(true);
  });
});

describe('relay wakeups (PostgreSQL LISTEN/NOTIFY)', () => {
  const schema = uniqueSchema('wakeups');
  const topic = `${schema}-topic`;
  let t: TestDb;
  let transport: InMemoryTransport;
  const received = new Map<string, number>();

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    transport = new InMemoryTransport();
    await transport.declareQueue({ queue: 'q', bindings: [{ topic, pattern: '#' }] });
    await transport.consume('q', async (d) => {
      received.set(d.messageId, (received.get(d.messageId) ?? 0) + 1);
      await d.ack();
    });
  });
  afterAll(async () => {
    await transport.close();
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  it('each commit wakes one idle lane, not every lane: 20 commits to 4 idle lanes make about one claim each, each published at once', async () => {
    let claims = 0;

    const logged = new Kysely<any>({
      dialect: new PostgresDialect({ pool: t.pool }),
      log: (event) => {
        if (event.level === 'query' && /for update of o skip locked/.test(event.query.sql)) claims++;
      },
    });
    const relay = createOutboxRelay({ db: logged, transport, schema, concurrency: 4, pollInterval: '1m', listen: pgNotifications(t.pool) });
    await relay.start();
    try {
      await sleep(300); // every lane made its first claim and sleeps (poll: one minute)
      const atRest = claims;
      const commits = 20;
      for (let i = 0; i < commits; i++) {
        const [row] = rows(1, topic);
        await t.db.transaction().execute((trx) => insertOutboxRows(t.db, schema, trx, [row!]));
        // Published long before the poll: the notification woke a lane.
        await waitFor(() => received.has(row!.messageId), 2_000, `row ${i} published`);
        await sleep(20);
      }
      const perCommit = (claims - atRest) / commits;
      // Waking every lane made each of the 4 claim for each commit (4 or more a commit).
      expect(perCommit).toBeLessThanOrEqual(2);
      expect(perCommit).toBeGreaterThanOrEqual(1);
    } finally {
      await relay.stop();
    }
  });

  it('with per-aggregate ordering, a row committed while its aggregate is in flight goes out when that batch ends, not a poll later', async () => {
    let slow = '';
    const slowFirst: Transport = Object.assign(Object.create(transport) as Transport, {
      async publish(message: OutgoingMessage) {
        if (message.messageId === slow) await sleep(300); // the aggregate's first row is in flight a while
        return transport.publish(message);
      },
    });
    const relay = createOutboxRelay({
      db: t.db,
      transport: slowFirst,
      schema,
      concurrency: 2,
      ordering: 'aggregate',
      pollInterval: '1m',
      listen: pgNotifications(t.pool),
    });
    await relay.start();
    try {
      await sleep(300); // both lanes asleep
      const [first, second] = rows(2, topic).map((r) => ({ ...r, aggregateId: 'order-1' }));
      slow = first!.messageId;
      await t.db.transaction().execute((trx) => insertOutboxRows(t.db, schema, trx, [first!]));
      await sleep(100); // one lane holds order-1's first row
      // Wakes the other lane, whose claim must skip this row (its aggregate is held).
      await t.db.transaction().execute((trx) => insertOutboxRows(t.db, schema, trx, [second!]));
      await waitFor(() => received.has(second!.messageId), 3_000, 'the second row of the aggregate');
    } finally {
      await relay.stop();
    }
  });

  it('a backlog fans out: one commit of 2,000 rows to idle lanes is published by several lanes, each row once', async () => {
    const keysBefore = new Set(
      (await sql<{ relay: string }>`select distinct relay from ${sql.id(schema, 'outbox_throughput')}`.execute(t.db)).rows.map((r) => r.relay),
    );
    const relay = createOutboxRelay({ db: t.db, transport, schema, concurrency: 4, batchSize: 100, pollInterval: '1m', listen: pgNotifications(t.pool) });
    await relay.start();
    try {
      await sleep(300); // every lane asleep
      const backlog = rows(2_000, topic);
      await t.db.transaction().execute((trx) => insertOutboxRows(t.db, schema, trx, backlog));
      await waitFor(() => backlog.every((r) => received.has(r.messageId)), 10_000, 'the backlog published');
      for (const r of backlog) expect(received.get(r.messageId)).toBe(1);
    } finally {
      await relay.stop(); // writes every lane's count
    }
    const lanes = (await sql<{ relay: string }>`select distinct relay from ${sql.id(schema, 'outbox_throughput')}`.execute(t.db)).rows.filter(
      (r) => !keysBefore.has(r.relay),
    );
    // One notification woke one lane; its full claims woke the others (each lane counts under its own key).
    expect(lanes.length).toBeGreaterThanOrEqual(2);
  });
});
