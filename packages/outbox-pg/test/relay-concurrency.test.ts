import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { InMemoryTransport, UnroutableError, uuidv7, type OutgoingMessage, type Transport } from '@metro/core';
import { createOutboxRelay, insertOutboxRows, migrate, outboxStats, pgNotifications, type OutboxRowInput } from '../src/index.js';
import { createTestDb, dropSchema, sleep, uniqueSchema, waitFor, type TestDb } from './helpers.js';

const encoder = new TextEncoder();

/** The in-memory broker behind a slow, flaky link: publishes take 0-4 ms; chosen ids fail once. */
function slowLink(inner: Transport, failOnce: Set<string>): Transport {
  return Object.assign(Object.create(inner) as Transport, {
    async publish(message: OutgoingMessage) {
      await sleep(Math.floor(Math.random() * 5));
      if (failOnce.delete(message.messageId)) throw new UnroutableError('flaky link');
      return inner.publish(message);
    },
  });
}

function rows(count: number, aggregates: number, topic: string): OutboxRowInput[] {
  return Array.from({ length: count }, (_, i) => ({
    messageId: uuidv7(),
    type: 'evt',
    destination: { kind: 'topic', topic, subject: 'evt' },
    unroutable: 'error', // the link's one-off UnroutableError is retried, not accepted
    aggregateId: aggregates > 0 ? `agg-${i % aggregates}` : null,
    body: encoder.encode(JSON.stringify({ i, agg: aggregates > 0 ? `agg-${i % aggregates}` : null })),
    contentType: 'application/json',
    headers: {},
    expiresAt: null,
  }));
}

describe('several relays on one outbox table', () => {
  const schema = uniqueSchema('relays');
  let t: TestDb;
  let transport: InMemoryTransport;
  const seen = new Map<string, number>();
  const order = new Map<string, number[]>();

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    transport = new InMemoryTransport();
    await transport.declareQueue({
      queue: 'q-all',
      bindings: [
        { topic: 'plain', pattern: '#' },
        { topic: 'ordered', pattern: '#' },
      ],
    });
    await transport.consume(
      'q-all',
      async (d) => {
        seen.set(d.messageId, (seen.get(d.messageId) ?? 0) + 1);
        if (d.topic === 'ordered') {
          const body = JSON.parse(new TextDecoder().decode(d.body)) as { i: number; agg: string };
          order.set(body.agg, [...(order.get(body.agg) ?? []), body.i]);
        }
        await d.ack();
      },
      { concurrency: 1 },
    );
  });
  afterAll(async () => {
    await transport.close();
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  it('two relays publish 5,000 rows: none lost, no duplicates', async () => {
    const relays = [0, 1].map(() => createOutboxRelay({ db: t.db, transport, schema, batchSize: 200, listen: pgNotifications(t.pool) }));
    await Promise.all(relays.map((r) => r.start()));
    try {
      const all = rows(5000, 0, 'plain');
      for (let i = 0; i < all.length; i += 500) await t.db.transaction().execute((trx) => insertOutboxRows(t.db, schema, trx, all.slice(i, i + 500)));
      await waitFor(() => all.every((r) => seen.has(r.messageId)), 30_000, 'every row published');
      await waitFor(async () => (await outboxStats(t.db, { schema })).pending === 0, 10_000, 'every row marked sent');
      const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
      expect(duplicates).toBe(0);
      expect(seen.size).toBe(5000);
      // A batch is counted once its commit returned, a moment after other sessions see the commit.
      await waitFor(() => relays.reduce((n, r) => n + r.stats().published, 0) >= 5000, 5_000, 'the last batches counted');
      const [a, b] = relays.map((r) => r.stats().published);
      expect(a! + b!).toBe(5000);
      expect(a).toBeGreaterThan(0);
      expect(b).toBeGreaterThan(0);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });

  it('keeps per-aggregate order across two relays, slow publishes and failed attempts', async () => {
    const all = rows(1000, 10, 'ordered');
    const failOnce = new Set(all.filter((_, i) => i % 97 === 5).map((r) => r.messageId));
    const link = slowLink(transport, failOnce);
    const relays = [0, 1].map(() =>
      createOutboxRelay({
        db: t.db,
        transport: link,
        schema,
        batchSize: 50,
        ordering: 'aggregate',
        retryDelay: 20,
        pollInterval: 20,
        listen: pgNotifications(t.pool),
      }),
    );
    await Promise.all(relays.map((r) => r.start()));
    try {
      for (let i = 0; i < all.length; i += 100) await t.db.transaction().execute((trx) => insertOutboxRows(t.db, schema, trx, all.slice(i, i + 100)));
      await waitFor(() => all.every((r) => seen.has(r.messageId)), 40_000, 'every ordered row published');
      expect(failOnce.size).toBe(0);
      for (const [agg, indexes] of order) {
        expect(indexes, agg).toEqual([...indexes].sort((x, y) => x - y));
        expect(new Set(indexes).size).toBe(100);
      }
      expect(order.size).toBe(10);
      const retried = relays.reduce((n, r) => n + r.stats().retried, 0);
      expect(retried).toBe(11);
      const left = async () => (await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'outbox')}`.execute(t.db)).rows[0]!.n;
      await waitFor(async () => (await left()) === 0, 10_000, 'every row deleted once sent');
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });

  it('publishes a row that committed late with a low seq while the lanes work far above it', async () => {
    const late = rows(1, 0, 'plain')[0]!;
    const burst = rows(2000, 0, 'plain');
    const slow: Transport = Object.assign(Object.create(transport) as Transport, {
      async publish(message: OutgoingMessage) {
        await sleep(15);
        return transport.publish(message);
      },
    });
    const publishedAt = new Map<string, number>();
    const recorder: Transport = Object.assign(Object.create(slow) as Transport, {
      async publish(message: OutgoingMessage) {
        await slow.publish(message);
        publishedAt.set(message.messageId, Date.now());
      },
    });
    const relay = createOutboxRelay({ db: t.db, transport: recorder, schema, batchSize: 10, concurrency: 3, listen: pgNotifications(t.pool) });
    // The late row takes its seq first, in a transaction that stays open while the burst commits.
    const conn = await t.pool.connect();
    try {
      await conn.query('begin');
      await conn.query(
        `insert into ${schema}.outbox (message_id, type, destination, body, content_type, headers) values ($1, 'evt', $2::jsonb, $3, 'application/json', '{}'::jsonb)`,
        [late.messageId, JSON.stringify(late.destination), Buffer.from(late.body)],
      );
      await t.db.transaction().execute((trx) => insertOutboxRows(t.db, schema, trx, burst));
      await relay.start();
      await waitFor(() => publishedAt.size >= 60, 10_000, 'the lanes to be well into the burst');
      await conn.query('commit');
      const committedAt = Date.now();
      await waitFor(() => burst.every((r) => publishedAt.has(r.messageId)) && publishedAt.has(late.messageId), 20_000, 'every row published');
      const lastOfBurst = Math.max(...burst.map((r) => publishedAt.get(r.messageId)!));
      // Not starved until the burst is over: the relay claims from the start at least every 100 ms.
      expect(
        publishedAt.get(late.messageId)!,
        `late row ${publishedAt.get(late.messageId)! - committedAt} ms after commit, burst done ${lastOfBurst - committedAt} ms after`,
      ).toBeLessThan(lastOfBurst - 500);
      // Counted once each batch commits, which is after its last publish resolved.
      await waitFor(() => relay.stats().published >= 2001, 5_000, 'the last batches committed');
      expect(relay.stats().published).toBe(2001);
    } finally {
      conn.release();
      await relay.stop();
    }
  });
});
