// Interop with Python services: a real Python (pika) client publishes the
// {eventId, eventTime, eventType, aggregate, payload} envelope to exchange = aggregate with
// routing key = event type and a Metro service consumes it; and the reverse.
import { randomUUID } from 'node:crypto';
import { aggregateEnvelopeCodec, createMetro, defineEvent, type Metro } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import amqplib from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runPython, script, startPython } from './python/run-python.js';

const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const suffix = randomUUID().slice(0, 8);
const metros: Metro[] = [];
const exchanges: string[] = [];
/** Service queues the Metro services declare (each with its `.expired` companion). */
const queues: string[] = [];

afterAll(async () => {
  await Promise.allSettled(metros.map((m) => m.stop()));
  const conn = await amqplib.connect(AMQP_URL);
  const ch = await conn.createChannel();
  for (const q of queues) for (const name of [q, `${q}.expired`]) await ch.deleteQueue(name).catch(() => undefined);
  for (const e of exchanges) await ch.deleteExchange(e).catch(() => undefined);
  await conn.close();
});

describe('Python interop (pika, aggregate envelope)', () => {
  it('a Metro service consumes what a Python service publishes', async () => {
    const aggregate = `py_order_${suffix}`;
    exchanges.push(aggregate);
    const OrderCreated = defineEvent({ topic: aggregate, type: 'OrderCreated', schema: z.object({ orderId: z.string(), amount: z.number() }) });
    const received: Array<{ id: string; orderId: string; amount: number; topic: string | undefined; type: string }> = [];
    queues.push(`py-consumer-${suffix}`);
    const metro = createMetro({ service: `py-consumer-${suffix}`, transport: new AmqpTransport({ url: AMQP_URL }), retry: { attempts: 1 } });
    metros.push(metro);
    metro.on({ topic: aggregate, subject: 'OrderCreated', codec: aggregateEnvelopeCodec }, async (data, ctx) => {
      const payload = await OrderCreated.schema['~standard'].validate(data);
      if (payload instanceof Promise || payload.issues) throw new Error('payload does not match');
      received.push({ id: ctx.envelope.id, ...payload.value, topic: ctx.envelope.topic, type: ctx.envelope.type });
    });
    await metro.start();

    const published = await runPython([script('publish_aggregate_events.py'), AMQP_URL, aggregate, 'OrderCreated', '25']);
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    expect(published.lines).toHaveLength(25);

    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(25);
    expect(new Set(received.map((r) => r.id))).toEqual(new Set(published.lines));
    expect(received.every((r) => r.topic === aggregate && r.type === 'OrderCreated')).toBe(true);
    expect(received.map((r) => r.orderId).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `py-${i}`).sort());
    expect((await metro.failures.list()).items).toHaveLength(0);
  });

  it('a Python service consumes what a Metro service publishes with the aggregate codec', async () => {
    const aggregate = `py_shipment_${suffix}`;
    exchanges.push(aggregate);
    const OrderShipped = defineEvent({ topic: aggregate, type: 'OrderShipped', schema: z.object({ orderId: z.string(), carrier: z.string() }) });
    queues.push(`py-producer-${suffix}`);
    const metro = createMetro({ service: `py-producer-${suffix}`, transport: new AmqpTransport({ url: AMQP_URL }) });
    metros.push(metro);
    await metro.start();

    const consuming = await startPython([script('consume_aggregate_events.py'), AMQP_URL, aggregate, 'OrderShipped', `py_q_${suffix}`, '10', '15']);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const envelope = await metro.publish(OrderShipped, { orderId: `m-${i}`, carrier: 'ups' }, { codec: aggregateEnvelopeCodec });
      ids.push(envelope.id);
    }
    const result = await consuming.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const bodies = result.lines.filter((l) => l !== 'READY').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(bodies).toHaveLength(10);
    for (const body of bodies) {
      expect(body).toMatchObject({ aggregate, eventType: 'OrderShipped', payload: { carrier: 'ups' } });
      expect(typeof body.eventTime).toBe('string');
    }
    expect(bodies.map((b) => b.eventId)).toEqual(ids);
  });
});
