import { defineCommand, defineEvent, jsonEnvelopeCodec, type Envelope } from '@metro/core';
import { createOutboxRelay, pgNotifications, type OutboxRelay } from '@metro/outbox-pg';
import { AmqpTransport } from '@metro/transport-amqp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createScheduler, createSchedulerWorker, type SchedulerWorker } from '../src/index.js';
import { createTestDb, sleep, uniqueName, waitFor, type TestDb } from './helpers.js';

const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const topic = uniqueName('sched_e2e');
const service = uniqueName('sched_svc');
const queue = uniqueName('sched_e2e_q');
const Reminder = defineEvent({ topic, type: 'reminder', schema: z.object({ orderId: z.string() }) });
const Heartbeat = defineEvent({ topic, type: 'heartbeat', schema: z.object({}) });
const Expire = defineCommand({ service, type: 'expire', schema: z.object({ cartId: z.string() }), expiresIn: '1m' });

let t: TestDb;
let transport: AmqpTransport;
let relay: OutboxRelay;
let worker: SchedulerWorker;
const received: { envelope: Envelope; at: number }[] = [];

beforeAll(async () => {
  t = await createTestDb('sched_e2e');
  transport = new AmqpTransport({ url: AMQP_URL });
  await transport.declareQueue({ queue, bindings: [{ topic, pattern: '#' }], commandsFor: service, temporary: true });
  await transport.consume(queue, async (delivery) => {
    received.push({
      envelope: jsonEnvelopeCodec.decode({ body: delivery.body, headers: delivery.headers, contentType: delivery.contentType }),
      at: Date.now(),
    });
    await delivery.ack();
  });
  relay = createOutboxRelay({ db: t.db, transport, schema: t.schema, listen: pgNotifications(t.pool), pollInterval: '2s' });
  worker = createSchedulerWorker({ db: t.db, schema: t.schema, listen: pgNotifications(t.pool), pollInterval: '10s' });
  await relay.start();
  await worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await relay?.stop();
  // The relay declared the topic's exchange on its first publish: delete it (the queue is temporary).
  const model = transport?.connectionsForTesting().publish;
  if (model) {
    const channel = await model.createChannel();
    await channel.deleteExchange(topic).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }
  await transport?.close();
  await t?.close();
});

describe('scheduler end to end on RabbitMQ', () => {
  it('delivers scheduled events and commands through outbox and relay, on time, once; cancelled ones never', async () => {
    const scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'shop' });
    // Warm-up: the transport connects and declares the topic on its first publish (about a second).
    const warm = await scheduler.schedule(undefined, Reminder, { orderId: 'warm-up' }, { delay: 50 });
    await waitFor(async () => received.some((r) => r.envelope.id === warm), 10_000);
    const due = Date.now() + 500;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(await scheduler.schedule(undefined, Reminder, { orderId: `e2e-${i}` }, { at: new Date(due + i * 10), tags: { order: i } }));
    }
    const cmd = await scheduler.schedule(undefined, Expire, { cartId: 'cart-1' }, { at: new Date(due) });
    expect(await scheduler.cancel({ type: 'reminder', tags: { order: 3 } })).toBe(1);
    await waitFor(async () => received.filter((r) => ids.includes(r.envelope.id) || r.envelope.id === cmd).length >= 20, 10_000);
    await sleep(500);
    const got = received.filter((r) => ids.includes(r.envelope.id) || r.envelope.id === cmd);
    expect(got).toHaveLength(20);
    expect(got.find((r) => r.envelope.id === ids[3])).toBeUndefined();
    const command = got.find((r) => r.envelope.id === cmd)!;
    expect(command.envelope).toMatchObject({ kind: 'command', service, data: { cartId: 'cart-1' } });
    // Its expiry runs from when it fires: its due time, or later when scheduling it took past that (a loaded machine).
    expect(Date.parse(command.envelope.time)).toBeGreaterThanOrEqual(due);
    expect(Date.parse(command.envelope.expiresat!)).toBe(Date.parse(command.envelope.time) + 60_000);
    const lateness = got.map((r) => r.at - Date.parse(r.envelope.time)).sort((a, b) => a - b);
    expect(lateness[0]!).toBeGreaterThanOrEqual(0);
    expect(lateness[lateness.length - 1]!).toBeLessThan(400); // broker-delivered, on a shared 2-core machine
  });

  it('delivers each tick of a recurring event once', async () => {
    const before = received.length;
    const scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'shop' });
    await scheduler.every('e2e-heartbeat', '* * * * * *', Heartbeat, {});
    await sleep(2600);
    await scheduler.removeRecurring('e2e-heartbeat');
    await sleep(400);
    const ticks = received.slice(before).filter((r) => r.envelope.type === 'heartbeat');
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(3);
    expect(new Set(ticks.map((r) => r.envelope.time)).size).toBe(ticks.length);
  });
});
