import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnroutableError, type Delivery, type OutgoingMessage } from '@metro/core';
import { AmqpTopologyError, AmqpTransport, roundDelay } from '../src/index.js';
import { AMQP_URL, RawBroker, sleep, TestNames, unique, waitFor } from './support/broker.js';
import { text, textMessage } from './support/messages.js';

const names = new TestNames();
const q = (label: string): string => names.queue(label);
const t = (label: string): string => names.exchange(label);
const msg = (destination: OutgoingMessage['destination'], body: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage =>
  textMessage(destination, body, extra, 'm');

let broker: RawBroker;
let transport: AmqpTransport;

beforeAll(async () => {
  broker = await RawBroker.connect();
  transport = new AmqpTransport({ url: AMQP_URL });
  await transport.start();
});

afterAll(async () => {
  await transport.close();
  await names.cleanup(broker);
  await broker.close();
});

function collect(queue: string, into: Delivery[], settle: (d: Delivery) => Promise<void> = (d) => d.ack()) {
  return transport.consume(queue, async (d) => {
    into.push(d);
    await settle(d);
  });
}

describe('topology', () => {
  it('binds to an external exchange without declaring it, and reports a missing one clearly', async () => {
    const external = t('external');
    await broker.channel.assertExchange(external, 'fanout', { durable: false, autoDelete: false });
    const queue = q('ext');
    await transport.declareQueue({ queue, bindings: [{ topic: external, pattern: '#', external: true }] });
    const got: Delivery[] = [];
    const consumer = await collect(queue, got);
    // A foreign system publishes a non-Metro body with its own routing key.
    broker.channel.publish(external, 'Foreign/Type/Created', Buffer.from('{"plain":true}'), { contentType: 'application/json' });
    await waitFor(() => got.length === 1, 5000, 'the foreign message');
    expect(got[0]!.topic).toBe(external);
    expect(got[0]!.subject).toBe('Foreign/Type/Created');
    expect(text(got[0]!.body)).toBe('{"plain":true}');
    // The exchange kept its own (non-durable, fanout) definition: Metro did not redeclare it as a durable topic.
    const ch = await broker.scratch();
    await expect(ch.assertExchange(external, 'fanout', { durable: false })).resolves.toBeDefined();
    await ch.close();
    await consumer.cancel();

    const missing = unique('missing-exchange');
    const err = await transport
      .declareQueue({ queue: q('ext-missing'), bindings: [{ topic: missing, pattern: '#', external: true }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmqpTopologyError);
    expect((err as AmqpTopologyError).code).toBe('AMQP_TOPOLOGY');
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toMatch(/external/);
    // The transport still works afterwards.
    expect(await transport.inspectQueue(queue)).toMatchObject({ queue, messages: 0 });
  });

  it('a conflicting exchange type is reported as AmqpTopologyError', async () => {
    const topic = t('conflict');
    await transport.declareQueue({ queue: q('conf-a'), bindings: [{ topic, pattern: '#' }] });
    const err = await transport.declareQueue({ queue: q('conf-b'), bindings: [{ topic, pattern: '', exchangeType: 'fanout' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmqpTopologyError);
  });

  it('two queues (named subscriptions) consume one topic independently', async () => {
    const topic = t('subs');
    const a = q('svc.audit');
    const b = q('svc.mirror');
    await transport.declareQueue({ queue: a, bindings: [{ topic, pattern: 'x.*' }] });
    await transport.declareQueue({ queue: b, bindings: [{ topic, pattern: 'x.*' }] });
    const ga: Delivery[] = [];
    const gb: Delivery[] = [];
    const ca = await collect(a, ga);
    const cb = await collect(b, gb, (d) => d.requeue().then(() => undefined)); // b keeps failing: a must not care
    await transport.publish(msg({ kind: 'topic', topic, subject: 'x.y' }, 'one'));
    await waitFor(() => ga.length === 1 && gb.length >= 3, 5000, 'both subscriptions');
    await cb.cancel();
    await ca.cancel();
    expect(ga.map((d) => text(d.body))).toEqual(['one']);
  });

  it('an expired command comes back to the service consumer (not dropped), with its topic route, and reject does not loop', async () => {
    const service = unique('svc');
    const queue = q('commands');
    await transport.declareQueue({ queue, commandsFor: service });
    await transport.publish(msg({ kind: 'command', service }, 'stale', { expiresInMs: 50 }));
    await sleep(300);
    const got: Delivery[] = [];
    const consumer = await collect(queue, got, (d) => d.reject());
    await waitFor(() => got.length === 1, 5000, 'the expired copy');
    expect(text(got[0]!.body)).toBe('stale');
    expect(got[0]!.queue).toBe(queue);
    expect(got[0]!.expiresInMs).toBeUndefined(); // RabbitMQ strips expiration when dead-lettering
    expect(got[0]!.subject).toBe(service);
    // reject() on a service queue acks and drops: no dead-letter loop back into the consumer.
    await sleep(500);
    expect(got).toHaveLength(1);
    await consumer.cancel();
    expect(await transport.inspectQueue(queue)).toMatchObject({ messages: 0 });
    const companion = await (await broker.scratch()).checkQueue(`${queue}.expired`);
    expect(companion.messageCount).toBe(0);
  });

  it('rounds delays to 2 significant digits', () => {
    expect(roundDelay(0)).toBe(1);
    expect(roundDelay(87)).toBe(87);
    expect(roundDelay(1234)).toBe(1300);
    expect(roundDelay(1300)).toBe(1300);
    expect(roundDelay(59_999)).toBe(60_000);
    expect(roundDelay(123_456)).toBe(130_000);
  });

  it('delays to a queue, a topic and a command route through metro.delay.<ms> queues, no plugin needed', async () => {
    const topic = t('delayed');
    const service = unique('dsvc');
    const queue = q('delayed');
    await transport.declareQueue({ queue, commandsFor: service, bindings: [{ topic, pattern: 'order.*' }] });
    const arrived: Array<{ body: string; at: number; topic: string | undefined; subject: string | undefined; headers: Record<string, unknown> }> = [];
    const consumer = await transport.consume(queue, async (d) => {
      arrived.push({ body: text(d.body), at: Date.now(), topic: d.topic, subject: d.subject, headers: { ...d.headers } });
      await d.ack();
    });
    const start = Date.now();
    await transport.publish(msg({ kind: 'queue', queue }, 'to-queue', { delayMs: 1234, headers: { 'metro-attempt': 2 } }));
    await transport.publish(msg({ kind: 'topic', topic, subject: 'order.placed' }, 'to-topic', { delayMs: 700 }));
    await transport.publish(msg({ kind: 'command', service }, 'to-command', { delayMs: 450, expiresInMs: 100 }));
    await transport.publish(msg({ kind: 'queue', queue }, 'now'));
    await waitFor(() => arrived.length === 4, 10_000, '4 messages');
    const by = Object.fromEntries(arrived.map((a) => [a.body, a]));
    expect(arrived[0]!.body).toBe('now');
    expect(by['to-command']!.at - start).toBeGreaterThanOrEqual(445);
    expect(by['to-topic']!.at - start).toBeGreaterThanOrEqual(695);
    expect(by['to-queue']!.at - start).toBeGreaterThanOrEqual(1295); // rounded up to 1300
    expect(by['to-topic']!.topic).toBe(topic);
    expect(by['to-topic']!.subject).toBe('order.placed');
    expect(by['to-command']!.topic).toBeUndefined();
    expect(by['to-queue']!.headers['metro-attempt']).toBe(2);
    expect(Object.keys(by['to-queue']!.headers).filter((k) => k.startsWith('metro-target') || k === 'metro-delay-ms')).toEqual([]);
    await consumer.cancel();
    const ch = await broker.scratch();
    const delayQueue = await ch.checkQueue('metro.delay.1300');
    expect(delayQueue.messageCount).toBe(0);
    await ch.close();
  });

  it('a delayed publish to a queue that does not exist rejects with UnroutableError', async () => {
    const err = await transport.publish(msg({ kind: 'queue', queue: unique('nowhere') }, 'x', { delayMs: 100 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnroutableError);
  });

  it('prefix, queueType quorum and maxPriority options shape the declared queues', async () => {
    const prefix = `${unique('pfx')}.`;
    const quorum = new AmqpTransport({ url: AMQP_URL, prefix, queueType: 'quorum' });
    const priority = new AmqpTransport({ url: AMQP_URL, prefix, maxPriority: 5 });
    const topic = 'shared-topic';
    names.exchanges.push(prefix + topic);
    try {
      const qq = 'quorum-q';
      const pq = 'prio-q';
      names.queues.push(prefix + qq, prefix + pq, `${prefix}${qq}.expired`);
      await quorum.declareQueue({ queue: qq, bindings: [{ topic, pattern: '#' }] });
      await priority.declareQueue({ queue: pq });
      // quorum queues reject a redeclare as classic: proves the type on the broker.
      const ch = await broker.scratch();
      const err = await ch.assertQueue(prefix + qq, { durable: true }).catch((e: unknown) => e);
      expect(String(err)).toMatch(/PRECONDITION_FAILED|inequivalent/);
      await quorum.publish(msg({ kind: 'topic', topic, subject: 'a' }, 'q'));
      for (const [body, p] of [
        ['low', 1],
        ['high', 5],
      ] as const)
        await priority.publish(msg({ kind: 'queue', queue: pq }, body, { priority: p }));
      await waitFor(async () => (await priority.inspectQueue(pq))?.messages === 2, 5000, '2 ready');
      const got: string[] = [];
      const c = await priority.consume(
        pq,
        async (d) => {
          got.push(text(d.body));
          await d.ack();
        },
        { concurrency: 1, prefetch: 1 },
      );
      await waitFor(() => got.length === 2, 5000, '2 deliveries');
      expect(got).toEqual(['high', 'low']);
      await c.cancel();
      const got2: Delivery[] = [];
      const c2 = await quorum.consume(qq, async (d) => {
        got2.push(d);
        await d.ack();
      });
      await waitFor(() => got2.length === 1, 5000, 'the quorum delivery');
      expect(got2[0]!.topic).toBe(topic); // prefix stripped
      await c2.cancel();
      expect(await (await broker.scratch()).checkExchange(prefix + topic)).toBeDefined();
    } finally {
      await quorum.close();
      await priority.close();
    }
  });

  it('consuming a queue that does not exist fails with AmqpTopologyError', async () => {
    const err = await transport.consume(unique('ghost'), async () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmqpTopologyError);
  });
});
