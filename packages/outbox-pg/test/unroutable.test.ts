import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { z } from 'zod';
import { ConfigurationError, defineCommand, defineEvent, InMemoryTransport, silentLogger, type Delivery, type Logger, type Transport } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { createOutbox, createOutboxRelay, insertOutboxRows, migrate, outboxStats } from '../src/index.js';
import { AMQP_URL, createTestDb, deleteAmqpTopology, dropSchema, uniqueSchema, waitFor, type TestDb } from './helpers.js';

/** A logger that keeps its warnings (what the relay says about accepted unroutable rows). */
function warnings(): Logger & { lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, debug() {}, info() {}, error() {}, warn: (obj) => void lines.push(obj) };
}

interface RowState {
  message_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  destination: Record<string, unknown>;
}

/**
 * One scenario on a transport: in one transaction, rows for an event nobody subscribes to (the
 * default policy, and `error` by option and by definition), a command to a service that does not
 * exist, and a subscribed event. The accepted row ends `sent`, the others `failed`.
 */
async function unsubscribedRows(
  t: TestDb,
  schema: string,
  transport: Transport,
  names: { topic: string; bound: string; service: string },
  received: () => Delivery[],
): Promise<void> {
  const Nobody = defineEvent({ topic: names.topic, type: 'listens', schema: z.object({ n: z.number() }) });
  const MustArrive = defineEvent({ topic: names.topic, type: 'must-arrive', schema: z.object({ n: z.number() }), unroutable: 'error' });
  const Bound = defineEvent({ topic: names.bound, type: 'placed', schema: z.object({ n: z.number() }) });
  const Absent = defineCommand({ service: names.service, type: 'do', schema: z.object({ n: z.number() }) });
  const outbox = createOutbox({ db: t.db, schema, source: 'publisher' });
  const logger = warnings();
  const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 20, maxAttempts: 2, retryDelay: 20, retention: '1h', logger });
  const { failed: failedBefore } = await outboxStats(t.db, { schema });
  await relay.start();
  try {
    const [accepted, byOption, byDefinition, command, bound] = await t.db
      .transaction()
      .execute(async (trx) => [
        await outbox.publish(trx, Nobody, { n: 1 }),
        await outbox.publish(trx, Nobody, { n: 2 }, { unroutable: 'error' }),
        await outbox.publish(trx, MustArrive, { n: 3 }),
        await outbox.send(trx, Absent, { n: 4 }),
        await outbox.publish(trx, Bound, { n: 5 }),
      ]);
    await waitFor(async () => (await outboxStats(t.db, { schema })).failed === failedBefore + 3, 20_000, 'three rows failed');
    const rows = await sql<RowState>`select message_id, status, attempts, last_error, destination from ${sql.id(schema, 'outbox')}
      where message_id in (${accepted.id}, ${byOption.id}, ${byDefinition.id}, ${command.id}, ${bound.id})`.execute(t.db);
    const byId = new Map(rows.rows.map((r) => [r.message_id, r]));
    expect(byId.get(accepted.id)).toMatchObject({ status: 'sent', attempts: 0, last_error: null });
    expect(byId.get(accepted.id)!.destination).toEqual({ kind: 'topic', topic: names.topic, subject: 'listens', unroutable: 'accept' });
    for (const id of [byOption.id, byDefinition.id]) {
      expect(byId.get(id)).toMatchObject({ status: 'failed', attempts: 2 });
      expect(byId.get(id)!.last_error).toContain('UnroutableError');
      expect(byId.get(id)!.destination).toMatchObject({ unroutable: 'error' });
    }
    expect(byId.get(command.id)).toMatchObject({ status: 'failed', attempts: 2 });
    expect(byId.get(command.id)!.last_error).toContain('UnroutableError');
    expect(byId.get(command.id)!.destination).toEqual({ kind: 'command', service: names.service });
    expect(byId.get(bound.id)).toMatchObject({ status: 'sent', attempts: 0 });
    await waitFor(() => received().some((d) => d.messageId === bound.id), 10_000, 'the bound event');
    expect(relay.stats()).toMatchObject({ unroutable: 1, failed: 3 });
    const about = logger.lines.filter((l) => l['destination'] === `${names.topic}.listens`);
    expect(about).toHaveLength(1);
    expect(about[0]!['messageId']).toBe(accepted.id);
  } finally {
    await relay.stop();
  }
}

describe('outbox rows of events nobody subscribes to (PostgreSQL, in-memory broker)', () => {
  const schema = uniqueSchema('unroutable');
  let t: TestDb;
  let transport: InMemoryTransport;
  const received: Delivery[] = [];

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    transport = new InMemoryTransport();
    await transport.declareQueue({ queue: 'bound', bindings: [{ topic: 'bound', pattern: '#' }] });
    await transport.consume('bound', async (d) => {
      received.push(d);
      await d.ack();
    });
  });
  afterAll(async () => {
    await transport.close();
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  it("accept (the default) ends the row sent, counted and warned once; 'error' (option or definition) and a command end failed", async () => {
    await unsubscribedRows(t, schema, transport, { topic: 'nobody', bound: 'bound', service: 'absent' }, () => received);
  });

  it('a topic row stored without a policy (older rows, insertOutboxRows) is accepted; one stored with error is not', async () => {
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 20, maxAttempts: 1, retention: '1h', logger: silentLogger });
    const row = (messageId: string, unroutable?: 'error') => ({
      messageId,
      type: 'listens',
      destination: { kind: 'topic', topic: 'nobody-raw', subject: 'listens' } as const,
      aggregateId: null,
      body: new TextEncoder().encode('{}'),
      contentType: 'application/json',
      headers: {},
      expiresAt: null,
      ...(unroutable ? { unroutable } : {}),
    });
    const plain = `raw-${randomBytes(4).toString('hex')}`;
    const strict = `raw-${randomBytes(4).toString('hex')}`;
    await insertOutboxRows(t.db, schema, t.db, [row(plain), row(strict, 'error')]);
    await relay.start();
    try {
      const status = async (id: string) =>
        (await sql<{ status: string }>`select status from ${sql.id(schema, 'outbox')} where message_id = ${id}`.execute(t.db)).rows[0]?.status;
      await waitFor(async () => (await status(plain)) === 'sent' && (await status(strict)) === 'failed', 10_000, 'sent and failed');
      expect(relay.stats().unroutable).toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it("with aggregate ordering, an accepted row does not hold back its aggregate's next row", async () => {
    const Nobody = defineEvent({ topic: 'nobody-ordered', type: 'listens', schema: z.object({}) });
    const Bound = defineEvent({ topic: 'bound', type: 'next', schema: z.object({}) });
    const outbox = createOutbox({ db: t.db, schema, source: 'publisher' });
    const relay = createOutboxRelay({ db: t.db, transport, schema, pollInterval: 20, ordering: 'aggregate', logger: silentLogger });
    await relay.start();
    try {
      const next = await t.db.transaction().execute(async (trx) => {
        await outbox.publish(trx, Nobody, {}, { aggregateId: 'agg-1' });
        return outbox.publish(trx, Bound, {}, { aggregateId: 'agg-1' });
      });
      await waitFor(() => received.some((d) => d.messageId === next.id), 10_000, 'the next row of the aggregate');
      expect(relay.stats()).toMatchObject({ unroutable: 1, retried: 0, failed: 0 });
    } finally {
      await relay.stop();
    }
  });

  it("outbox.send refuses unroutable: 'accept' (a command nobody receives is always an error); nothing is written", async () => {
    const Cmd = defineCommand({ service: 'absent', type: 'do', schema: z.object({}) });
    const { pending } = await outboxStats(t.db, { schema });
    await expect(
      t.db.transaction().execute((trx) => createOutbox({ db: t.db, schema, source: 'p' }).send(trx, Cmd, {}, { unroutable: 'accept' })),
    ).rejects.toBeInstanceOf(ConfigurationError);
    expect((await outboxStats(t.db, { schema })).pending).toBe(pending);
  });
});

describe('outbox rows of events nobody subscribes to (PostgreSQL, RabbitMQ)', () => {
  const schema = uniqueSchema('unroutable_amqp');
  const suffix = randomBytes(4).toString('hex');
  const names = { topic: `t-nobody-${suffix}`, bound: `t-bound-${suffix}`, service: `absent-${suffix}` };
  const queue = `q-bound-${suffix}`;
  let t: TestDb;
  let transport: AmqpTransport;
  const received: Delivery[] = [];

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    transport = new AmqpTransport({ url: AMQP_URL, logger: silentLogger });
    await transport.declareQueue({ queue, bindings: [{ topic: names.bound, pattern: '#' }] });
    await transport.consume(queue, async (d) => {
      received.push(d);
      await d.ack();
    });
  });
  afterAll(async () => {
    await transport.close();
    await deleteAmqpTopology({ queues: [queue], exchanges: [names.topic, names.bound] });
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  it("accept (the default) ends the row sent, counted and warned once; 'error' (option or definition) and a command end failed", async () => {
    await unsubscribedRows(t, schema, transport, names, () => received);
  });
});
