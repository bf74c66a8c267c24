import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { z } from 'zod';
import { defineEvent, InMemoryTransport, PublishError, type OutgoingMessage, type Transport } from '@metro/core';
import { ThroughputCounter } from '../src/relay/throughput-counter.js';
import { markSent } from '../src/relay/outbox-claim.js';
import { createOutbox, createOutboxRelay, migrate, outboxStats, pgNotifications } from '../src/index.js';
import { createTestDb, dropSchema, uniqueSchema, waitFor, type TestDb } from './helpers.js';

// Compiles queries as the PostgreSQL dialect does, without a server.

const compiler = new Kysely<any>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('ThroughputCounter', () => {
  const key = '0192c1f0-7c5e-7a3b-9d2e-1f2a3b4c5d6e/3';

  it('writes with the first commit, then at most once per interval, carrying what it held', () => {
    const counter = new ThroughputCounter(key, 1000);
    expect(counter.due(100, 0)).toBe(100);
    counter.committed(100, 100, 0);
    expect(counter.pending).toBe(0);
    // Within the interval: nothing due, the rows are held.
    expect(counter.due(100, 400)).toBe(0);
    counter.committed(100, 0, 400);
    expect(counter.due(50, 999)).toBe(0);
    counter.committed(50, 0, 999);
    expect(counter.pending).toBe(150);
    // Once the interval is over, the next commit writes what was held plus its own rows.
    expect(counter.due(30, 1000)).toBe(180);
    counter.committed(30, 180, 1000);
    expect(counter.pending).toBe(0);
    expect(counter.due(0, 2000)).toBe(0);
  });

  it('keeps its rows when the commit that was to write them fails (committed is not called)', () => {
    const counter = new ThroughputCounter(key, 1000);
    counter.committed(40, 0, 0);
    expect(counter.due(10, 5000)).toBe(50);
    // That commit failed: its 10 rows were not marked, and the 40 are still held for the next one.
    expect(counter.pending).toBe(40);
    expect(counter.due(10, 5001)).toBe(50);
  });

  it('says when held rows are due, and after a failed write waits an interval before the next', () => {
    const counter = new ThroughputCounter(key, 1000);
    expect(counter.msUntilDue(0)).toBe(Number.POSITIVE_INFINITY); // nothing held
    counter.committed(10, 10, 0);
    counter.committed(5, 0, 300);
    expect(counter.msUntilDue(300)).toBe(700);
    expect(counter.msUntilDue(1200)).toBe(0);
    counter.failed(1200);
    expect(counter.pending).toBe(5);
    expect(counter.due(0, 1500)).toBe(0);
    expect(counter.msUntilDue(1500)).toBe(700);
    expect(counter.due(0, 2200)).toBe(5);
  });

  it('builds its upsert without parameters (it shares a simple query with the commit), and refuses what it would inline unchecked', () => {
    const counter = new ThroughputCounter(key);
    const upsert = counter.write('metro', 12).compile(compiler);
    expect(upsert.parameters).toEqual([]);
    expect(upsert.sql).toContain(`'${key}', 12`);
    const marked = markSent('metro', ['7', '9'], false, counter.write('metro', 2)).compile(compiler);
    expect(marked.parameters).toEqual([]);
    expect(marked.sql).toMatch(
      /^with marked as \(delete from "metro"\."outbox" where seq = any\('\{7,9\}'::bigint\[\]\)\) insert into "metro"\."outbox_throughput"/,
    );
    expect(markSent('metro', ['7'], true).compile(compiler).sql).toMatch(/^update "metro"\."outbox" set status = 'sent'/);
    expect(() => markSent('metro', ['7 or true'], false)).toThrow(TypeError);
    expect(() => counter.write('metro', 0)).toThrow(RangeError);
    expect(() => counter.write('metro', 1.5)).toThrow(RangeError);
    expect(() => new ThroughputCounter("x'); drop table outbox; --")).toThrow(TypeError);
  });
});

describe('the relay writes its held count (PostgreSQL, in-memory broker)', () => {
  const schema = uniqueSchema('count');
  const Counted = defineEvent({ topic: 'count-test', type: 'counted', schema: z.object({ n: z.number() }) });
  let t: TestDb;
  let transport: InMemoryTransport;
  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    transport = new InMemoryTransport();
    await transport.declareQueue({ queue: 'count-q', bindings: [{ topic: 'count-test', pattern: '#' }] });
    await transport.consume('count-q', async (d) => void (await d.ack()));
  });
  afterAll(async () => {
    await transport.close();
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });
  const sentLastMinute = async () => (await outboxStats(t.db, { schema })).sentLastMinute;
  const publish = (n: number) => t.db.transaction().execute((trx) => createOutbox({ db: t.db, schema, source: 'count' }).publish(trx, Counted, { n }));
  /** Sends two rows within a second on one lane: the first is written with its commit, the second is held. */
  const sendTwo = async (relay: ReturnType<typeof createOutboxRelay>, before: number) => {
    await publish(1);
    await waitFor(() => relay.stats().published === 1, 5000, 'the first row');
    await publish(2);
    await waitFor(() => relay.stats().published === 2, 5000, 'the second row');
    expect(await sentLastMinute()).toBe(before + 1);
  };

  it('stop() writes the count a lane holds', async () => {
    const before = await sentLastMinute();
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: '30s', listen: pgNotifications(t.pool), concurrency: 1 });
    await relay.start();
    try {
      await sendTwo(relay, before);
    } finally {
      await relay.stop();
    }
    expect(await sentLastMinute()).toBe(before + 2);
  });

  it('an idle lane writes its held count when it is due, not a poll interval later', async () => {
    const before = await sentLastMinute();
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: '30s', listen: pgNotifications(t.pool), concurrency: 1 });
    await relay.start();
    try {
      await sendTwo(relay, before);
      await waitFor(async () => (await sentLastMinute()) === before + 2, 2500, 'the held count, about a second after the first write');
    } finally {
      await relay.stop();
    }
  });

  it('a lane backing off from a broker outage writes its held count', async () => {
    let down = false;
    const flaky: Transport = Object.assign(Object.create(transport) as Transport, {
      publish: (message: OutgoingMessage) => (down ? Promise.reject(new PublishError('broker down (test)')) : transport.publish(message)),
    });
    const before = await sentLastMinute();
    const relay = createOutboxRelay({ db: t.db, transport: flaky, schema, pollInterval: 20, concurrency: 1 });
    await relay.start();
    try {
      await sendTwo(relay, before);
      down = true;
      await publish(3);
      await waitFor(() => relay.stats().errors > 0, 5000, 'a failed batch');
      await waitFor(async () => (await sentLastMinute()) === before + 2, 2500, 'the held count, during the outage');
      expect(relay.stats().published).toBe(2);
    } finally {
      down = false;
      await waitFor(() => relay.stats().published === 3, 10_000, 'the row held back by the outage');
      await relay.stop();
    }
    expect(await sentLastMinute()).toBe(before + 3);
  });
});
