// Quorum queues as a first-class mode, on RabbitMQ (a single node runs quorum queues too; the cluster
// tests live in tooling/cluster-faults): which queue Metro declares gets which type, poison messages
// past `deliveryLimit` become `delivery-limit` failures, and `singleActiveConsumer` keeps one
// consumer of a queue active at a time, in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, createMetro, defineEvent, InMemoryFailureStore, type Delivery } from '@metro/core';
import { AmqpTransport } from '../src/index.js';
import { AMQP_URL, RawBroker, sleep, unique, waitFor } from './support/broker.js';
import { text, textMessage } from './support/messages.js';
import { queueTypes } from './support/queue-types.js';

// Everything this file declares starts with `prefix`, delay queues and exchanges included.
const prefix = `${unique('quorum')}.`;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const transports: AmqpTransport[] = [];
let broker: RawBroker;

function quorum(extra: ConstructorParameters<typeof AmqpTransport>[0] = {}): AmqpTransport {
  const transport = new AmqpTransport({ url: AMQP_URL, queueType: 'quorum', prefix, logger: quiet, ...extra });
  transports.push(transport);
  return transport;
}

beforeAll(async () => {
  broker = await RawBroker.connect();
});

afterAll(async () => {
  for (const t of transports) await t.close();
  await broker.deleteQueues(...Object.keys(await queueTypes(prefix)));
  await broker.deleteExchanges(...['metro.delay', 'metro.delayed', 'metro.commands', 'orders'].map((e) => prefix + e));
  await broker.close();
}, 60_000);

describe("queueType: 'quorum'", () => {
  it('declares the service queue, its .expired companion, subscription queues and delay queues as quorum; temporary queues stay classic', async () => {
    const transport = quorum();
    await transport.declareQueue({ queue: 'svc', commandsFor: 'svc', bindings: [{ topic: 'orders', pattern: '#' }] });
    await transport.declareQueue({ queue: 'svc.audit', bindings: [{ topic: 'orders', pattern: 'placed' }] });
    await transport.declareQueue({ queue: 'replies', temporary: true });
    const got: Array<{ body: string; at: number }> = [];
    await transport.consume('svc', async (d) => {
      got.push({ body: text(d.body), at: Date.now() });
      await d.ack();
    });
    const sent = Date.now();
    await transport.publish(textMessage({ kind: 'queue', queue: 'svc' }, 'later', { delayMs: 1300 }));
    await waitFor(() => got.length === 1, 15_000, 'the delayed message');
    expect(got[0]!.body).toBe('later');
    expect(got[0]!.at - sent).toBeGreaterThanOrEqual(1250);
    expect(await queueTypes(prefix)).toEqual({
      [`${prefix}svc`]: 'quorum',
      [`${prefix}svc.expired`]: 'quorum',
      [`${prefix}svc.audit`]: 'quorum',
      [`${prefix}metro.delay.q1300`]: 'quorum',
      [`${prefix}replies`]: 'classic',
    });
  }, 60_000);

  it('deliveryLimit is refused on classic queues and must be a non-negative integer', () => {
    expect(() => new AmqpTransport({ url: AMQP_URL, deliveryLimit: 3 })).toThrow(ConfigurationError);
    expect(() => new AmqpTransport({ url: AMQP_URL, queueType: 'quorum', deliveryLimit: 1.5 })).toThrow(ConfigurationError);
  });

  it('a message that crashes its consumer deliveryLimit + 1 times becomes a delivery-limit failure; the others are handled', async () => {
    const limit = 2;
    const Placed = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ orderId: z.string() }) });
    const transport = quorum({ deliveryLimit: limit });
    const failures = new InMemoryFailureStore();
    const metro = createMetro({ service: 'poison', transport, failures, logger: quiet });
    const handled: string[] = [];
    let poisonRuns = 0;
    metro.on(Placed, async ({ orderId }) => {
      if (orderId !== 'poison') return void handled.push(orderId);
      poisonRuns++;
      // A crash mid-handler, as far as the broker can tell: the channel that delivered it dies unsettled.
      await transport
        .consumersForTesting()
        .find((c) => c.queue === 'poison')!
        .currentChannel!.close();
    });
    await metro.start();
    // One at a time: a message in flight on a channel that dies counts a delivery too, innocent or not.
    await metro.publish(Placed, { orderId: 'a' });
    await waitFor(() => handled.length === 1, 10_000, 'the first good message');
    await metro.publish(Placed, { orderId: 'poison' });
    await waitFor(async () => (await failures.list({ reason: 'delivery-limit' })).items.length === 1, 30_000, 'the delivery-limit failure');
    await metro.publish(Placed, { orderId: 'b' });
    await waitFor(() => handled.length === 2, 10_000, 'the second good message');
    const { items } = await failures.list();
    console.log(
      `delivery limit ${limit}: the poison message ran ${poisonRuns} times, then ${items.map((f) => f.reason).join(',')}; handled ${handled.join(',')}`,
    );
    expect(items.map((f) => [f.reason, f.type, f.queue, f.error.code])).toEqual([['delivery-limit', 'placed', 'poison', 'DELIVERY_LIMIT']]);
    expect(poisonRuns).toBe(limit + 1);
    expect(handled).toEqual(['a', 'b']);
    expect(await queueTypes(`${prefix}poison`)).toEqual({ [`${prefix}poison`]: 'quorum', [`${prefix}poison.expired`]: 'quorum' });
    await metro.stop();
  }, 60_000);
});

describe('singleActiveConsumer', () => {
  it('of two consumers only one receives; when it stops the other takes over, in queue order', async () => {
    const queue = 'ordered';
    const a = quorum({ singleActiveConsumer: [queue] });
    const b = quorum({ singleActiveConsumer: [queue] });
    await a.declareQueue({ queue });
    await b.declareQueue({ queue });
    const order: string[] = [];
    const byA: string[] = [];
    const byB: string[] = [];
    const handler = (into: string[]) => async (d: Delivery) => {
      await sleep(2);
      into.push(d.messageId);
      order.push(d.messageId);
      await d.ack();
    };
    const total = 300;
    const ids = Array.from({ length: total }, (_, i) => `n${String(i).padStart(3, '0')}`);
    await Promise.all(ids.map((id) => a.publish(textMessage({ kind: 'queue', queue }, id, { messageId: id }))));
    const consumerA = await a.consume(queue, handler(byA), { concurrency: 1, prefetch: 10 });
    await sleep(100); // A registered first, so A is the active one
    await b.consume(queue, handler(byB), { concurrency: 1, prefetch: 10 });
    await waitFor(() => byA.length >= 100, 20_000, 'A to handle 100');
    expect(byB).toEqual([]);
    await consumerA.cancel();
    const aHandled = byA.length;
    await waitFor(() => order.length >= total, 20_000, 'B to take over and finish');
    await sleep(200);
    console.log(`single active consumer: A handled ${aHandled} then stopped, B handled ${byB.length}; ${order.length} in all`);
    expect(order).toEqual(ids);
    expect(byA.length + byB.length).toBe(total);
    expect(byB.length).toBeGreaterThan(0);
  }, 60_000);
});
