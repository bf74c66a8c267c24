import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { z } from 'zod';
import { createMetro, defineEvent, InMemoryTransport, type Metro } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { createInbox, createOutbox, createOutboxRelay, migrate, outboxStats, pgFailureStore, pgNotifications } from '../src/index.js';
import { AMQP_URL, createTestDb, deleteAmqpTopology, dropSchema, sleep, uniqueSchema, waitFor, type TestDb } from './helpers.js';
import { TcpProxy } from '@metro/test-support';

const count = async (t: TestDb, schema: string, table: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, table)}`.execute(t.db)).rows[0]!.n;

describe('PostgreSQL outage', () => {
  const schema = uniqueSchema('pgdown');
  const topic = `${schema}-topic`;
  const Evt = defineEvent({ topic, type: 'evt', schema: z.object({ i: z.number() }) });
  let direct: TestDb;
  let proxied: TestDb;
  let proxy: TcpProxy;
  let metro: Metro | undefined;
  let publisher: AmqpTransport;

  beforeAll(async () => {
    direct = createTestDb();
    await migrate(direct.db, { schema });
    await sql`create table ${sql.id(schema, 'effects')} (i integer not null)`.execute(direct.db);
    proxy = new TcpProxy('127.0.0.1', 5432);
    const port = await proxy.start();
    proxied = createTestDb(`postgres://postgres@127.0.0.1:${port}/test`, 8);
    publisher = new AmqpTransport({ url: AMQP_URL });
  });
  afterAll(async () => {
    proxy.restore();
    await metro?.stop();
    await publisher.close();
    await proxied.db.destroy().catch(() => undefined);
    await proxy.close();
    await deleteAmqpTopology({ queues: [`${schema}-svc`, `${schema}-svc.expired`, `${schema}-producer`, `${schema}-producer.expired`], exchanges: [topic] });
    await dropSchema(direct.db, schema);
    await direct.db.destroy();
  }, 60_000);

  it('a consumer with the inbox stays up, retries, and acks nothing it did not process', async () => {
    let runs = 0;
    metro = createMetro({
      service: `${schema}-svc`,
      transport: new AmqpTransport({ url: AMQP_URL }),
      inbox: createInbox({ db: proxied.db, schema }),
      failures: pgFailureStore(proxied.db, { schema }),
      retry: { attempts: 1000, backoff: 'fixed', delay: '200ms' },
      requeueDelay: '200ms',
    });
    metro.on(
      Evt,
      async (payload, ctx) => {
        runs++;
        await sql`insert into ${sql.id(schema, 'effects')} (i) values (${payload.i})`.execute(ctx.trx as never);
      },
      { inbox: true, name: 'effects' },
    );
    await metro.start();
    const producer = createMetro({ service: `${schema}-producer`, transport: publisher, closeTransport: false });
    for (let i = 0; i < 20; i++) await producer.publish(Evt, { i });
    await waitFor(async () => (await count(direct, schema, 'effects')) === 20, 20_000, 'first 20 handled');

    proxy.cutAll();
    for (let i = 20; i < 50; i++) await producer.publish(Evt, { i });
    await sleep(3000);
    expect(await count(direct, schema, 'effects')).toBe(20); // nothing processed while the database is away
    expect(await count(direct, schema, 'inbox')).toBe(20);

    proxy.restore();
    await waitFor(async () => (await count(direct, schema, 'effects')) === 50, 30_000, 'all 50 handled after the outage');
    await sleep(500);
    const effects = await sql<{ n: number; d: number }>`select count(*)::int as n, count(distinct i)::int as d from ${sql.id(schema, 'effects')}`.execute(
      direct.db,
    );
    expect(effects.rows[0]).toEqual({ n: 50, d: 50 });
    expect(await count(direct, schema, 'inbox')).toBe(50);
    expect(await count(direct, schema, 'failed_messages')).toBe(0);
    expect(runs).toBeGreaterThanOrEqual(50);
    await producer.stop();
  }, 60_000);

  it('the relay backs off while the database is away and publishes everything after', async () => {
    const transport = new InMemoryTransport();
    await transport.declareQueue({ queue: 'q', bindings: [{ topic: 'relay-outage', pattern: '#' }] });
    const got = new Set<string>();
    await transport.consume('q', async (d) => {
      got.add(d.messageId);
      await d.ack();
    });
    const relay = createOutboxRelay({ db: proxied.db, transport, schema, pollInterval: 200, listen: pgNotifications(proxied.pool) });
    await relay.start();
    const outbox = createOutbox({ db: direct.db, schema, source: 'test' });
    const Ev = defineEvent({ topic: 'relay-outage', type: 'e', schema: z.object({ n: z.number() }) });
    try {
      await direct.db.transaction().execute(async (trx) => {
        for (let n = 0; n < 10; n++) await outbox.publish(trx, Ev, { n });
      });
      await waitFor(() => got.size === 10, 10_000, 'first rows');
      proxy.cutAll();
      await direct.db.transaction().execute(async (trx) => {
        for (let n = 10; n < 100; n++) await outbox.publish(trx, Ev, { n });
      });
      await sleep(1500);
      expect(got.size).toBe(10);
      expect(relay.stats().running).toBe(true);
      proxy.restore();
      await waitFor(() => got.size === 100, 20_000, 'rows written during the outage');
      await waitFor(async () => (await outboxStats(direct.db, { schema })).pending === 0, 10_000, 'rows marked sent');
      expect(relay.stats().errors).toBeGreaterThan(0);
      expect(proxied.errors.length).toBeGreaterThan(0); // connections dropped, and handled
    } finally {
      await relay.stop();
      await transport.close();
    }
  }, 60_000);

  it('LISTEN wakes an idle relay within milliseconds of a commit (its poll is a minute), before the connection is cut and after it is back', async () => {
    const transport = new InMemoryTransport();
    await transport.declareQueue({ queue: 'q', bindings: [{ topic: 'relay-listen', pattern: '#' }] });
    const got = new Map<string, number>();
    await transport.consume('q', async (d) => {
      got.set(d.messageId, Date.now());
      await d.ack();
    });
    const relay = createOutboxRelay({
      db: proxied.db,
      transport,
      schema,
      pollInterval: '1m',
      listen: pgNotifications(proxied.pool, { maxReconnectDelayMs: 500 }),
    });
    const outbox = createOutbox({ db: direct.db, schema, source: 'test' });
    const Ev = defineEvent({ topic: 'relay-listen', type: 'e', schema: z.object({ n: z.number() }) });
    const commitOne = async (n: number) => {
      const env = await direct.db.transaction().execute((trx) => outbox.publish(trx, Ev, { n }));
      return { id: env.id, at: Date.now() };
    };
    /**
     * Commits rows 1.5 s apart and returns each one's commit-to-delivery time. By then every lane
     * sleeps for the one-minute poll (a lane that published wakes once, within a second, to write
     * its count), so only a notification can wake one.
     */
    const latencies = async (from: number) => {
      const out: number[] = [];
      for (let n = from; n < from + 3; n++) {
        await sleep(1500);
        const { id, at } = await commitOne(n);
        await waitFor(() => got.has(id), 5_000, `row ${n} published`);
        out.push(got.get(id)! - at);
      }
      return out;
    };
    await relay.start();
    try {
      await sleep(1500);
      for (const ms of await latencies(0)) expect(ms).toBeLessThan(750);
      proxy.cutAll();
      await sleep(500);
      proxy.restore();
      // The listener reconnects (and wakes a lane for rows committed meanwhile); the lanes back off, then claim.
      const during = await commitOne(100);
      await waitFor(() => got.has(during.id), 15_000, 'the row committed after the cut');
      await sleep(1500); // every lane asleep again, for a minute
      for (const ms of await latencies(200)) expect(ms).toBeLessThan(750);
    } finally {
      await relay.stop();
      await transport.close();
    }
  }, 60_000);
});

describe('RabbitMQ outage', () => {
  const schema = uniqueSchema('mqdown');
  const topic = `${schema}-topic`;
  let t: TestDb;
  let proxy: TcpProxy;
  let consumerSide: AmqpTransport;

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    proxy = new TcpProxy('127.0.0.1', 5672);
    await proxy.start();
    consumerSide = new AmqpTransport({ url: AMQP_URL });
    await consumerSide.declareQueue({ queue: `${schema}-q`, bindings: [{ topic, pattern: '#' }] });
  });
  afterAll(async () => {
    await consumerSide.close();
    await proxy.close();
    await deleteAmqpTopology({ queues: [`${schema}-q`], exchanges: [topic] });
    await dropSchema(t.db, schema);
    await t.db.destroy();
  }, 60_000);

  it('the relay logs, backs off and resumes when the broker comes back; nothing is lost', async () => {
    const url = AMQP_URL.replace(/:\d+(\/|$)/, `:${proxy.port}$1`);
    const transport = new AmqpTransport({ url, publishTimeoutMs: 1000, heartbeat: 1, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } });
    await transport.start();
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (_: unknown, msg?: string) => void warnings.push(msg ?? ''),
      error: (_: unknown, msg?: string) => void warnings.push(msg ?? ''),
    };
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 100, listen: pgNotifications(t.pool), logger });
    await relay.start();
    const got = new Map<string, number>();
    await consumerSide.consume(`${schema}-q`, async (d) => {
      got.set(d.messageId, (got.get(d.messageId) ?? 0) + 1);
      await d.ack();
    });
    const outbox = createOutbox({ db: t.db, schema, source: 'test' });
    const Ev = defineEvent({ topic, type: 'e', schema: z.object({ n: z.number() }) });
    try {
      await t.db.transaction().execute(async (trx) => {
        for (let n = 0; n < 10; n++) await outbox.publish(trx, Ev, { n });
      });
      await waitFor(() => got.size === 10, 10_000, 'first rows');
      // Received is not yet confirmed: a cut between the broker's delivery and its confirm leaves the
      // rows pending (to be published again), so cut only once the relay has marked them sent.
      await waitFor(async () => (await outboxStats(t.db, { schema })).pending === 0, 10_000, 'first rows marked sent');
      proxy.cutAll();
      await t.db.transaction().execute(async (trx) => {
        for (let n = 10; n < 60; n++) await outbox.publish(trx, Ev, { n });
      });
      await sleep(2500);
      expect(got.size).toBe(10);
      expect((await outboxStats(t.db, { schema })).pending).toBe(50);
      expect(relay.stats().running).toBe(true);
      proxy.restore();
      await waitFor(() => got.size === 60, 30_000, 'rows written during the broker outage');
      await waitFor(async () => (await outboxStats(t.db, { schema })).pending === 0, 10_000, 'rows marked sent');
      expect(relay.stats().errors).toBeGreaterThan(0);
      expect(warnings).toContain('outbox relay batch failed; backing off');
      expect((await outboxStats(t.db, { schema })).pending).toBe(0);
      expect((await outboxStats(t.db, { schema })).failed).toBe(0);
    } finally {
      await relay.stop();
      await transport.close();
    }
  }, 60_000);
});
