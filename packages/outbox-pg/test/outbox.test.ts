import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { z } from 'zod';
import {
  ConfigurationError,
  createEnvelope,
  defineCommand,
  defineEvent,
  InMemoryTransport,
  PublishError,
  ValidationError,
  type Delivery,
  type OutgoingMessage,
  type Transport,
} from '@metro/core';
import { createOutbox, createOutboxRelay, migrate, outboxStats, pgNotifications, InvalidExecutorError } from '../src/index.js';
import { createTestDb, dropSchema, sleep, uniqueSchema, waitFor, type TestDb } from './helpers.js';

const OrderPlaced = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ orderId: z.string() }) });
const ChargeCard = defineCommand({ service: 'billing', type: 'charge', schema: z.object({ amount: z.number() }), expiresIn: '1m' });
const decoder = new TextDecoder();

/** `inner` with each publish first offered to `refuse`: the error it returns rejects that publish. */
function refusingTransport(inner: Transport, refuse: (message: OutgoingMessage) => Error | undefined): Transport {
  return Object.assign(Object.create(inner) as Transport, {
    publish(message: OutgoingMessage) {
      const error = refuse(message);
      return error ? Promise.reject(error) : inner.publish(message);
    },
  });
}

/** Refuses the first `count` publishes with `error()`. */
function refusingFirst(inner: Transport, count: number, error: () => Error): Transport {
  let left = count;
  return refusingTransport(inner, () => (left-- > 0 ? error() : undefined));
}

describe('outbox + relay (PostgreSQL, in-memory broker)', () => {
  const schema = uniqueSchema('outbox');
  let t: TestDb;
  let transport: InMemoryTransport;
  const received: Delivery[] = [];

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    transport = new InMemoryTransport();
    await transport.declareQueue({
      queue: 'q-orders',
      bindings: [
        { topic: 'orders', pattern: '#' },
        { topic: 'user', pattern: '#' },
      ],
      commandsFor: 'billing',
    });
    await transport.consume('q-orders', async (d) => {
      received.push(d);
      await d.ack();
    });
  });
  afterAll(async () => {
    await transport.close();
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  const outbox = () => createOutbox({ db: t.db, schema, source: 'orders' });
  const pendingRows = async () => (await outboxStats(t.db, { schema })).pending;

  it('a rolled-back transaction writes (and so publishes) nothing', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await outbox().publish(trx, OrderPlaced, { orderId: 'rollback' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await pendingRows()).toBe(0);
  });

  it('an invalid payload is a ValidationError and writes nothing', async () => {
    await expect(t.db.transaction().execute((trx) => outbox().publish(trx, OrderPlaced, { orderId: 1 } as never))).rejects.toBeInstanceOf(ValidationError);
    expect(await pendingRows()).toBe(0);
  });

  it('refuses relay sizes that are not positive integers', () => {
    for (const bad of [{ batchSize: 0 }, { batchSize: 2.5 }, { concurrency: Number.NaN }, { maxAttempts: -1 }]) {
      expect(() => createOutboxRelay({ db: t.db, transport, schema, ...bad })).toThrow(ConfigurationError);
    }
  });

  it('refuses something that is not a transaction', async () => {
    await expect(outbox().publish({} as never, OrderPlaced, { orderId: 'x' })).rejects.toBeInstanceOf(InvalidExecutorError);
    // A pool would run the insert on any free connection, outside the caller's transaction.
    const pending = await pendingRows();
    await expect(outbox().publish(t.pool as never, OrderPlaced, { orderId: 'through-a-pool' })).rejects.toThrow(/not a pg Pool.*pool\.connect\(\)/);
    expect(await pendingRows()).toBe(pending);
  });

  it("enqueueMany writes every message in order, 1,000 rows a statement, with each one's options; a rollback writes none", async () => {
    const inserts: number[] = [];
    // The same pool, with a log that counts the insert statements.
    const logged = new Kysely<any>({
      dialect: new PostgresDialect({ pool: t.pool }),
      log: (event) => {
        if (event.level === 'query' && /^insert into "[^"]+"\."outbox"/.test(event.query.sql)) inserts.push(event.query.parameters.length);
      },
    });
    const many = createOutbox({ db: logged, schema, source: 'orders' });
    const envelopes = await Promise.all(Array.from({ length: 2300 }, (_, i) => createEnvelope(OrderPlaced, { orderId: `many-${i}` }, { source: 'orders' })));
    const raw = new TextEncoder().encode('raw bytes');
    // Given in an order of their own (not their ids' order, which follows creation): kept as given.
    const messages = envelopes
      .map((envelope, i) =>
        i === 7
          ? { envelope, options: { body: raw, contentType: 'text/plain', headers: { 'x-kept': 'yes' }, aggregateId: 'agg-7', priority: 2 } }
          : { envelope },
      )
      .reverse();
    const at7 = messages.length - 1 - 7;
    await expect(
      logged.transaction().execute(async (trx) => {
        await many.enqueueMany(trx, messages);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await pendingRows()).toBe(0);
    inserts.length = 0;
    await logged.transaction().execute((trx) => many.enqueueMany(trx, messages));
    expect(inserts).toEqual([10_000, 10_000, 3_000]); // 1,000 + 1,000 + 300 rows of 10 parameters
    const rows = await sql<{
      message_id: string;
      content_type: string;
      body: Buffer;
      headers: Record<string, string>;
      aggregate_id: string | null;
      priority: number | null;
    }>`
      select message_id, content_type, body, headers, aggregate_id, priority from ${sql.id(schema, 'outbox')} where status = 'pending' order by seq`.execute(
      t.db,
    );
    expect(rows.rows.map((r) => r.message_id)).toEqual(messages.map((m) => m.envelope.id));
    expect(rows.rows[at7]).toMatchObject({
      message_id: envelopes[7]!.id,
      content_type: 'text/plain',
      headers: { 'x-kept': 'yes' },
      aggregate_id: 'agg-7',
      priority: 2,
    });
    expect(decoder.decode(rows.rows[at7]!.body)).toBe('raw bytes');
    expect(rows.rows[at7 - 1]).toMatchObject({ aggregate_id: null, priority: null });
    expect(JSON.parse(decoder.decode(rows.rows[at7 - 1]!.body))).toMatchObject({ id: envelopes[8]!.id, data: { orderId: 'many-8' } });
    await sql`delete from ${sql.id(schema, 'outbox')}`.execute(t.db);
    // A message that cannot be encoded (the 1,500th) writes nothing, even outside a transaction.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const broken = [...messages.slice(0, 1499), { envelope: { ...envelopes[0]!, id: 'circular', data: circular } }, ...messages.slice(1499)];
    await expect(many.enqueueMany(logged, broken)).rejects.toThrow(TypeError);
    expect(await pendingRows()).toBe(0);
  });

  it('commit publishes exactly the rows written: kysely trx, raw pg client, commands, aggregate events', async () => {
    const relay = createOutboxRelay({ db: t.db, transport, schema, listen: pgNotifications(t.pool) });
    await relay.start();
    try {
      const ids: string[] = [];
      await t.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 20; i++) ids.push((await outbox().publish(trx, OrderPlaced, { orderId: `k${i}` }, { aggregateId: 'a1' })).id);
        ids.push((await outbox().send(trx, ChargeCard, { amount: 5 })).id);
      });
      const client = await t.pool.connect();
      try {
        await client.query('BEGIN');
        ids.push((await outbox().publish(client, OrderPlaced, { orderId: 'raw' })).id);
        await outbox().publishAggregateEvent(client, { aggregate: 'user', eventType: 'user_created', payload: { name: 'ann' }, eventId: 'evt-1' });
        ids.push('evt-1');
        await client.query('COMMIT');
        await client.query('BEGIN');
        await outbox().publish(client, OrderPlaced, { orderId: 'raw-rolled-back' });
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      await waitFor(() => received.length >= ids.length, 10_000, 'all rows published');
      await new Promise((r) => setTimeout(r, 300));
      expect(received.map((d) => d.messageId).sort()).toEqual([...ids].sort());
      const aggregate = received.find((d) => d.messageId === 'evt-1')!;
      expect(aggregate.topic).toBe('user');
      expect(aggregate.subject).toBe('user_created');
      expect(JSON.parse(decoder.decode(aggregate.body))).toMatchObject({
        eventId: 'evt-1',
        eventType: 'user_created',
        aggregate: 'user',
        payload: { name: 'ann' },
      });
      expect(typeof JSON.parse(decoder.decode(aggregate.body)).eventTime).toBe('string');
      const command = received.find((d) => d.messageId === ids[20])!;
      expect(JSON.parse(decoder.decode(command.body))).toMatchObject({ kind: 'command', service: 'billing', type: 'charge', data: { amount: 5 } });
      expect(command.expiresInMs).toBeGreaterThan(0);
      // The relay writes its count at most once a second while busy, and when it goes idle.
      await waitFor(async () => (await outboxStats(t.db, { schema })).sentLastMinute >= ids.length, 5_000, 'the count written');
      const stats = await outboxStats(t.db, { schema });
      expect(stats).toMatchObject({ pending: 0, failed: 0, oldestPendingAgeMs: null });
      expect(stats.sentLastMinute).toBe(ids.length);
      expect(relay.stats().published).toBe(ids.length);
    } finally {
      await relay.stop();
      await relay.stop();
    }
  });

  it("an unroutable row (the 'error' policy) is retried with backoff, then marked failed, and never blocks other rows", async () => {
    const Lost = defineEvent({ topic: 'nowhere', type: 'lost', schema: z.object({}), unroutable: 'error' });
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 20, maxAttempts: 3, retryDelay: 30 });
    await relay.start();
    const before = received.length;
    try {
      await t.db.transaction().execute(async (trx) => {
        await outbox().publish(trx, Lost, {});
        await outbox().publish(trx, OrderPlaced, { orderId: 'after-lost' });
      });
      await waitFor(async () => (await outboxStats(t.db, { schema })).failed === 1, 10_000, 'row marked failed');
      expect(received.length).toBe(before + 1);
      const row = await sql<{
        attempts: number;
        last_error: string;
      }>`select attempts, last_error from ${sql.id(schema, 'outbox')} where status = 'failed'`.execute(t.db);
      expect(row.rows[0]!.attempts).toBe(3);
      expect(row.rows[0]!.last_error).toContain('UnroutableError');
      expect(relay.stats()).toMatchObject({ failed: 1, retried: 2 });
    } finally {
      await relay.stop();
    }
  });

  it("with retention, an unroutable row (the 'error' policy) is retried with backoff and then kept as failed; the sent one stays sent", async () => {
    const Lost = defineEvent({ topic: 'nowhere-kept', type: 'lost', schema: z.object({}), unroutable: 'error' });
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 20, maxAttempts: 3, retryDelay: 30, retention: '1h' });
    const { sentLastMinute: before, failed: failedBefore } = await outboxStats(t.db, { schema });
    await relay.start();
    try {
      const [lost, kept] = await t.db
        .transaction()
        .execute(async (trx) => [await outbox().publish(trx, Lost, {}), await outbox().publish(trx, OrderPlaced, { orderId: 'kept-next-to-lost' })]);
      await waitFor(async () => (await outboxStats(t.db, { schema })).failed === failedBefore + 1, 10_000, 'row marked failed');
      const rows = await sql<{ message_id: string; status: string; attempts: number; sent_at: Date | null; last_error: string | null }>`
        select message_id, status, attempts, sent_at, last_error from ${sql.id(schema, 'outbox')} where message_id in (${lost.id}, ${kept.id})`.execute(t.db);
      const byId = new Map(rows.rows.map((r) => [r.message_id, r]));
      expect(byId.get(lost.id)).toMatchObject({ status: 'failed', attempts: 3, sent_at: null });
      expect(byId.get(lost.id)!.last_error).toContain('UnroutableError');
      expect(byId.get(kept.id)).toMatchObject({ status: 'sent', attempts: 0 });
      expect(received.filter((d) => d.messageId === kept.id)).toHaveLength(1);
      // The counter counts the sent row only, not the three attempts of the lost one.
      await relay.stop(); // writes what the counter holds
      expect((await outboxStats(t.db, { schema })).sentLastMinute).toBe(before + 1);
    } finally {
      await relay.stop();
      await sql`delete from ${sql.id(schema, 'outbox')} where status <> 'sent'`.execute(t.db);
    }
  });

  it('rows the broker could not take (broker trouble) go back unchanged and are published once it recovers', async () => {
    // A lost channel: rows confirmed before it do not make the others count an attempt.
    let refused = 0;
    const troubled = refusingFirst(transport, 5, () => (refused++, new PublishError('broker trouble (test)')));
    const relay = createOutboxRelay({ db: t.db, transport: troubled, schema, pollInterval: 20, batchSize: 10 });
    const before = (await outboxStats(t.db, { schema })).sentLastMinute;
    const ids = await t.db.transaction().execute(async (trx) => {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push((await outbox().publish(trx, OrderPlaced, { orderId: `trouble-${i}` })).id);
      return out;
    });
    await relay.start();
    try {
      await waitFor(() => ids.every((id) => received.some((d) => d.messageId === id)), 15_000, 'every row published after the trouble');
      expect(refused).toBe(5);
      expect(relay.stats().errors).toBeGreaterThanOrEqual(1);
      expect(relay.stats().failed).toBe(0);
      const left = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'outbox')} where message_id in (${sql.join(ids)})`.execute(t.db);
      expect(left.rows[0]!.n).toBe(0);
      expect(relay.stats().retried).toBe(0); // broker trouble counts no attempt
      // Published once each: the rows the broker confirmed in the troubled batch were not put back.
      for (const id of ids) expect(received.filter((d) => d.messageId === id)).toHaveLength(1);
      await waitFor(async () => (await outboxStats(t.db, { schema })).sentLastMinute >= before + ids.length, 5_000, 'the count written');
      expect((await outboxStats(t.db, { schema })).sentLastMinute).toBe(before + ids.length);
    } finally {
      await relay.stop();
    }
  });

  it('rows the broker nacked while others of their batch were confirmed count an attempt, go out later, and the confirmed ones are not put back', async () => {
    const troubled = refusingFirst(transport, 5, () => new PublishError('refused (test)', { details: { nacked: true } }));
    const relay = createOutboxRelay({ db: t.db, transport: troubled, schema, pollInterval: 20, batchSize: 10, concurrency: 1, retryDelay: 30 });
    const ids = await t.db.transaction().execute(async (trx) => {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push((await outbox().publish(trx, OrderPlaced, { orderId: `refused-${i}` })).id);
      return out;
    });
    await relay.start();
    try {
      await waitFor(() => ids.every((id) => received.some((d) => d.messageId === id)), 15_000, 'every row published after the refusals');
      expect(relay.stats()).toMatchObject({ retried: 5, failed: 0, errors: 0 });
      for (const id of ids) expect(received.filter((d) => d.messageId === id)).toHaveLength(1);
    } finally {
      await relay.stop();
    }
  });

  it('a row the broker refuses every time, while other rows go out, is retried with backoff and then marked failed', async () => {
    let poison = '';
    const refusing = refusingTransport(transport, (m) =>
      m.messageId === poison ? new PublishError('nacked (test)', { details: { nacked: true } }) : undefined,
    );
    const { failed: failedBefore } = await outboxStats(t.db, { schema });
    const relay = createOutboxRelay({ db: t.db, transport: refusing, schema, pollInterval: 20, maxAttempts: 3, retryDelay: 20, concurrency: 1 });
    await relay.start();
    const others: string[] = [];
    let producing = true;
    try {
      poison = (await t.db.transaction().execute((trx) => outbox().publish(trx, OrderPlaced, { orderId: 'poison' }))).id;
      // Traffic goes on next to it, as in production.
      const producer = (async () => {
        for (let i = 0; producing && i < 400; i++) {
          others.push((await t.db.transaction().execute((trx) => outbox().publish(trx, OrderPlaced, { orderId: `beside-poison-${i}` }))).id);
          await sleep(10);
        }
      })();
      await waitFor(async () => (await outboxStats(t.db, { schema })).failed === failedBefore + 1, 10_000, 'the refused row marked failed');
      producing = false;
      await producer;
      const row = await sql<{ status: string; attempts: number; last_error: string }>`
        select status, attempts, last_error from ${sql.id(schema, 'outbox')} where message_id = ${poison}`.execute(t.db);
      expect(row.rows[0]).toMatchObject({ status: 'failed', attempts: 3 });
      expect(row.rows[0]!.last_error).toContain('nacked (test)');
      expect(relay.stats().failed).toBe(1);
      await waitFor(() => others.every((id) => received.some((d) => d.messageId === id)), 10_000, 'the rows beside it published');
      expect(received.filter((d) => d.messageId === poison)).toHaveLength(0);
    } finally {
      producing = false;
      await relay.stop();
      await sql`delete from ${sql.id(schema, 'outbox')} where status <> 'sent'`.execute(t.db);
    }
  });

  it('an error that is not a Metro error counts an attempt when other rows of its batch went out, and is waited out when alone', async () => {
    let bad = '';
    const buggy = refusingTransport(transport, (m) => (m.messageId === bad ? new TypeError('cannot publish to this destination (test)') : undefined));
    const relay = createOutboxRelay({ db: t.db, transport: buggy, schema, pollInterval: 20, maxAttempts: 3, retryDelay: 50, concurrency: 1 });
    try {
      const ids = await t.db.transaction().execute(async (trx) => {
        const out: string[] = [];
        for (let i = 0; i < 4; i++) out.push((await outbox().publish(trx, OrderPlaced, { orderId: `buggy-${i}` })).id);
        return out;
      });
      bad = ids[0]!;
      await relay.start();
      await waitFor(() => ids.slice(1).every((id) => received.some((d) => d.messageId === id)), 10_000, 'the other rows published');
      // Alone in its next batches it is waited out like broker trouble: the lane backs off, no attempt counted.
      await waitFor(() => relay.stats().errors >= 1, 10_000, 'the lane backing off');
      const row = await sql<{ status: string; attempts: number; last_error: string }>`
        select status, attempts, last_error from ${sql.id(schema, 'outbox')} where message_id = ${bad}`.execute(t.db);
      expect(row.rows[0]).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row.rows[0]!.last_error).toContain('TypeError');
      expect(relay.stats()).toMatchObject({ retried: 1, failed: 0 });
    } finally {
      await relay.stop();
      await sql`delete from ${sql.id(schema, 'outbox')} where status <> 'sent'`.execute(t.db);
    }
  });

  it('publishes each row as written: destination, headers, timestamp, expiry, priority and delay', async () => {
    const published: OutgoingMessage[] = [];
    const recording: Transport = Object.assign(Object.create(transport) as Transport, {
      publish(message: OutgoingMessage) {
        published.push(message);
        return transport.publish(message);
      },
    });
    const outboxTable = sql.id(schema, 'outbox');
    const body = Buffer.from('{"n":1}');
    // Three rows share destination and headers; the last has its own of each, and every option.
    await sql`insert into ${outboxTable} (message_id, destination, body, content_type, headers, created_at)
      select 'mapped-' || i, '{"kind":"topic","topic":"orders","subject":"placed"}'::jsonb, ${body}, 'application/json',
        '{"x-tenant":"t1","x-n":7,"x-on":true}'::jsonb, '2026-01-02T03:04:05.678999Z'::timestamptz
      from generate_series(1, 3) i`.execute(t.db);
    await sql`insert into ${outboxTable} (message_id, destination, body, content_type, headers, priority, delay_ms, expires_at, created_at)
      values ('mapped-4', '{"kind":"command","service":"billing"}'::jsonb, ${body}, 'application/x-test', '{}'::jsonb, 3, 250,
        now() + interval '90 seconds', '2026-01-02T03:04:05.001Z'::timestamptz)`.execute(t.db);
    const relay = createOutboxRelay({ db: t.db, transport: recording, schema, pollInterval: 20 });
    await relay.start();
    try {
      await waitFor(() => published.length >= 4, 10_000, 'four rows published');
    } finally {
      await relay.stop();
    }
    const byId = new Map(published.map((m) => [m.messageId, m]));
    for (const id of ['mapped-1', 'mapped-2', 'mapped-3']) {
      const m = byId.get(id)!;
      expect(m.destination).toEqual({ kind: 'topic', topic: 'orders', subject: 'placed' });
      expect(m.headers).toEqual({ 'x-tenant': 't1', 'x-n': 7, 'x-on': true });
      expect(m.contentType).toBe('application/json');
      expect(Buffer.from(m.body).toString()).toBe('{"n":1}');
      expect(m.timestamp).toBe(Date.parse('2026-01-02T03:04:05.678Z')); // whole milliseconds, not rounded up
      expect(m).not.toHaveProperty('expiresInMs');
      expect(m).not.toHaveProperty('priority');
      expect(m).not.toHaveProperty('delayMs');
    }
    // Rows of one batch share the parsed values, which are frozen so no publish can change another's.
    expect(byId.get('mapped-2')!.headers).toBe(byId.get('mapped-1')!.headers);
    expect(byId.get('mapped-2')!.destination).toBe(byId.get('mapped-1')!.destination);
    expect(Object.isFrozen(byId.get('mapped-1')!.headers)).toBe(true);
    expect(Object.isFrozen(byId.get('mapped-1')!.destination)).toBe(true);
    const last = byId.get('mapped-4')!;
    expect(last.destination).toEqual({ kind: 'command', service: 'billing' });
    expect(last.headers).toEqual({});
    expect(last.contentType).toBe('application/x-test');
    expect(last.timestamp).toBe(Date.parse('2026-01-02T03:04:05.001Z'));
    expect(last.priority).toBe(3);
    expect(last.delayMs).toBe(250);
    expect(last.expiresInMs).toBeGreaterThan(80_000);
    expect(last.expiresInMs).toBeLessThanOrEqual(90_000);
    // The delayed command arrives too (and not in a later test's count).
    await waitFor(() => received.some((d) => d.messageId === 'mapped-4'), 5_000, 'the delayed command delivered');
  });

  it('a batch whose mark-and-commit fails is rolled back: its rows stay pending and go out again (at least once)', async () => {
    const counter = sql.id(schema, 'outbox_throughput');
    const away = sql.id(schema, 'outbox_throughput_away');
    const ids = await t.db.transaction().execute(async (trx) => {
      const out: string[] = [];
      for (let i = 0; i < 5; i++) out.push((await outbox().publish(trx, OrderPlaced, { orderId: `uncommitted-${i}` })).id);
      return out;
    });
    // The mark's counter upsert fails while its table is away: the commit that goes with it never happens.
    await sql`alter table ${counter} rename to ${sql.id('outbox_throughput_away')}`.execute(t.db);
    // (outboxStats reads the counter table too: count directly.)
    const pending = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'outbox')} where status = 'pending'`.execute(t.db)).rows[0]!.n;
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 20, concurrency: 2 });
    await relay.start();
    try {
      await waitFor(() => relay.stats().errors >= 2, 10_000, 'failed marks');
      expect(await pending()).toBe(5);
      expect(relay.stats().published).toBe(0);
      await sql`alter table ${away} rename to ${sql.id('outbox_throughput')}`.execute(t.db);
      await waitFor(async () => (await pending()) === 0, 10_000, 'the rows marked once the table is back');
      // Published before each failed commit and once more after: duplicates, never a loss.
      for (const id of ids) expect(received.filter((d) => d.messageId === id).length).toBeGreaterThanOrEqual(2);
      await waitFor(() => relay.stats().published === 5, 5_000, 'the committed batch counted');
      expect(relay.stats().lastError).toMatch(/outbox_throughput/);
    } finally {
      await relay.stop();
      await sql`alter table if exists ${away} rename to ${sql.id('outbox_throughput')}`.execute(t.db);
    }
  });

  it('keeps sent rows for the retention period when asked', async () => {
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 20, retention: '1h' });
    await relay.start();
    try {
      const env = await t.db.transaction().execute((trx) => outbox().publish(trx, OrderPlaced, { orderId: 'kept' }));
      await waitFor(() => received.some((d) => d.messageId === env.id), 10_000, 'kept row published');
      await waitFor(async () => {
        const r = await sql<{ status: string }>`select status from ${sql.id(schema, 'outbox')} where message_id = ${env.id}`.execute(t.db);
        return r.rows[0]?.status === 'sent';
      });
    } finally {
      await relay.stop();
    }
  });

  it('deletes every sent row past its retention, in chunks, however many there are; rows within it stay', async () => {
    const outboxTable = sql.id(schema, 'outbox');
    const insertSent = (n: number, age: string) =>
      sql`
      insert into ${outboxTable} (message_id, type, destination, body, content_type, headers, status, sent_at)
      select gen_random_uuid()::text, 'placed', '{"kind":"topic","topic":"orders","subject":"placed"}'::jsonb, '\\x7b7d'::bytea, 'application/json', '{}'::jsonb, 'sent', now() - ${age}::interval
      from generate_series(1, ${n})`.execute(t.db);
    await insertSent(25_000, '2 hours'); // more than two chunks of 10,000
    await insertSent(3, '10 minutes');
    const count = async (older: boolean) =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from ${outboxTable} where status = 'sent' and sent_at ${older ? sql`<` : sql`>=`} now() - interval '1 hour'`.execute(t.db)
      ).rows[0]!.n;
    expect(await count(true)).toBeGreaterThanOrEqual(25_000);
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 20, retention: '1h' });
    await relay.start(); // housekeeping runs after the first claim, then once a minute
    try {
      await waitFor(async () => (await count(true)) === 0, 15_000, 'every expired sent row deleted');
      expect(await count(false)).toBeGreaterThanOrEqual(3);
    } finally {
      await relay.stop();
    }
  });

  it('start and stop called without waiting for each other leave no relay loop running after the last stop', async () => {
    const relay = createOutboxRelay({ db: t.db, transport, schema, listen: pgNotifications(t.pool), pollInterval: 20, concurrency: 3 });
    await relay.start();
    const stopping = relay.stop();
    const starting = relay.start(); // while the stop waits for the loops
    await Promise.all([stopping, starting]);
    expect(relay.stats().running).toBe(true);
    const firstStop = relay.stop();
    void relay.start();
    await relay.stop();
    await firstStop;
    expect(relay.stats().running).toBe(false);
    const before = received.length;
    await t.db.transaction().execute((trx) => outbox().publish(trx, OrderPlaced, { orderId: 'after-stop' }));
    await sleep(300);
    expect(received.length).toBe(before); // nothing left running publishes it
    expect(await pendingRows()).toBe(1);
    await relay.start();
    await waitFor(async () => (await pendingRows()) === 0, 5000, 'the row published after the restart');
    await relay.stop();
  });
});
