import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishError, type Delivery, type OutgoingMessage } from '@metro/core';
import { AmqpTransport } from '../src/index.js';
import { AMQP_URL, RawBroker, sleep, TestNames, unique, waitFor } from './support/broker.js';
import { text, textMessage } from './support/messages.js';
import { captureLogger } from './support/capture-logger.js';
import { TcpProxy } from '@metro/test-support';

const names = new TestNames();
const q = (label: string): string => names.queue(label);
const msg = (destination: OutgoingMessage['destination'], body: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage =>
  textMessage(destination, body, extra, 'r');

let broker: RawBroker;
const opened: Array<{ close(): Promise<void> }> = [];

async function proxied(options: ConstructorParameters<typeof AmqpTransport>[0] = {}): Promise<{ proxy: TcpProxy; transport: AmqpTransport }> {
  const proxy = await TcpProxy.start();
  const transport = new AmqpTransport({ url: proxy.url(), reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, ...options });
  opened.push(transport, proxy);
  await transport.start();
  return { proxy, transport };
}

beforeAll(async () => {
  broker = await RawBroker.connect();
});

afterAll(async () => {
  for (const o of opened) {
    const started = Date.now();
    await o.close();
    if (Date.now() - started > 1000) console.log(`slow close: ${o.constructor.name} ${Date.now() - started} ms`);
  }
  await names.cleanup(broker);
  await broker.close();
});

describe('reconnection', () => {
  it('re-declares the topology after a reconnect and resumes consumers', async () => {
    const { proxy, transport } = await proxied();
    const topic = unique('redeclare');
    names.exchanges.push(topic);
    const queue = q('redeclare');
    await transport.declareQueue({ queue, bindings: [{ topic, pattern: 'a.#' }] });
    const got: Delivery[] = [];
    await transport.consume(queue, async (d) => {
      got.push(d);
      await d.ack();
    });
    proxy.pause();
    proxy.cut();
    // While Metro is away, the queue and exchange vanish (broker restart, an operator, ...).
    await broker.deleteQueues(queue);
    await broker.deleteExchanges(topic);
    await sleep(200);
    proxy.resume();
    await waitFor(
      async () =>
        (await broker.scratch().then((ch) =>
          ch.checkQueue(queue).then(
            (ok) => ok.consumerCount,
            () => 0,
          ),
        )) === 1,
      10_000,
      'the queue re-declared and consumed',
    );
    broker.channel.publish(topic, 'a.b', Buffer.from('after'));
    await waitFor(() => got.length === 1, 5000, 'a delivery after the reconnect');
    expect(text(got[0]!.body)).toBe('after');
  });

  it('a queue removed with deleteQueue goes with its .expired companion and stays gone after a reconnect', async () => {
    const { proxy, transport } = await proxied();
    const kept = q('kept');
    const gone = q('gone');
    await transport.declareQueue({ queue: kept, commandsFor: unique('svc-kept') });
    await transport.declareQueue({ queue: gone, commandsFor: unique('svc-gone') });
    expect(await broker.queueExists(`${gone}.expired`)).toBe(true);
    await transport.deleteQueue(gone);
    expect(await broker.queueExists(gone)).toBe(false);
    expect(await broker.queueExists(`${gone}.expired`)).toBe(false);
    proxy.pause();
    proxy.cut();
    // While Metro is away the other queue vanishes too; the reconnect brings back only that one.
    await broker.deleteQueues(kept, `${kept}.expired`);
    await sleep(200);
    proxy.resume();
    await waitFor(() => broker.queueExists(kept), 10_000, 'the kept queue re-declared');
    expect(await broker.queueExists(`${kept}.expired`)).toBe(true);
    expect(await broker.queueExists(gone)).toBe(false);
    expect(await broker.queueExists(`${gone}.expired`)).toBe(false);
  });

  it('publishes made while disconnected wait and then go out', async () => {
    const { proxy, transport } = await proxied();
    const queue = q('buffered');
    await transport.declareQueue({ queue });
    proxy.pause();
    proxy.cut();
    await waitFor(() => transport.connectionsForTesting().publish === undefined, 5000, 'the transport to notice');
    const settled: string[] = [];
    const pending = Array.from({ length: 20 }, (_, i) => transport.publish(msg({ kind: 'queue', queue }, `b${i}`)).then(() => settled.push(`b${i}`)));
    await sleep(400);
    expect(settled).toHaveLength(0);
    proxy.resume();
    await Promise.all(pending);
    await waitFor(async () => (await transport.inspectQueue(queue))?.messages === 20, 5000, '20 messages in the queue');
  });

  it('publishes fail with PublishError within publishTimeoutMs when the broker stays away; the buffer is bounded', async () => {
    const { proxy, transport } = await proxied({ publishTimeoutMs: 600, maxBufferedPublishes: 3 });
    const queue = q('timeout');
    await transport.declareQueue({ queue });
    proxy.pause();
    proxy.cut();
    await waitFor(() => transport.connectionsForTesting().publish === undefined, 5000, 'the transport to notice');
    const started = Date.now();
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => transport.publish(msg({ kind: 'queue', queue }, `t${i}`))));
    const elapsed = Date.now() - started;
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof PublishError)).toBe(true);
    const reasons = results.map((r) => (r as PromiseRejectedResult).reason as PublishError);
    expect(reasons.filter((e) => /maxBufferedPublishes/.test(e.message))).toHaveLength(2);
    expect(reasons.filter((e) => /within 600 ms/.test(e.message))).toHaveLength(3);
    expect(elapsed).toBeLessThan(3000);
    proxy.resume();
    await waitFor(() => transport.connectionsForTesting().publish !== undefined, 5000, 'the reconnect');
    await transport.publish(msg({ kind: 'queue', queue }, 'back'));
  });

  it('detects a dead TCP connection with heartbeats within two intervals, then recovers', async () => {
    const { proxy, transport } = await proxied({ heartbeat: 1 });
    const queue = q('heartbeat');
    await transport.declareQueue({ queue });
    const before = proxy.accepted;
    const droppedBefore = proxy.dropped;
    proxy.freeze();
    const frozenAt = Date.now();
    await waitFor(() => proxy.dropped >= droppedBefore + 2, 6000, 'the client to drop both silent connections');
    const detectedMs = Date.now() - frozenAt;
    console.log(`heartbeat 1 s: dead connection detected after ${detectedMs} ms`);
    expect(detectedMs).toBeLessThanOrEqual(2300); // two intervals (+ scheduling slack)
    proxy.thaw();
    proxy.cut(); // the network is back: drop handshakes that started while it was silent
    await transport.publish(msg({ kind: 'queue', queue }, 'alive'));
    expect(proxy.accepted).toBeGreaterThan(before);
  });

  it('a request in flight when the connection drops rejects at once (not at its timeout)', async () => {
    const { proxy, transport } = await proxied();
    const queue = q('rpc-drop');
    await transport.declareQueue({ queue });
    let received = false;
    const server = await transport.consume(queue, async (d) => {
      received = true;
      await d.ack(); // never replies
    });
    const started = Date.now();
    const pending = transport.request(msg({ kind: 'queue', queue }, 'ping'), { timeoutMs: 20_000 }).catch((e: unknown) => e);
    await waitFor(() => received, 5000, 'the request to arrive');
    proxy.cut();
    const err = await pending;
    expect(err).toBeInstanceOf(PublishError);
    expect(Date.now() - started).toBeLessThan(5000);
    await server.cancel();
  });
});

describe('broker flow control and consumer faults', () => {
  it('consume on a transport not yet started opens exactly one consumer (no duplicate channel)', async () => {
    const queue = q('lazy');
    const setup = new AmqpTransport({ url: AMQP_URL });
    opened.push(setup);
    await setup.declareQueue({ queue });
    const lazy = new AmqpTransport({ url: AMQP_URL });
    opened.push(lazy);
    const got: string[] = [];
    await lazy.consume(
      queue,
      async (d) => {
        got.push(d.messageId);
        await sleep(2);
        await d.ack();
      },
      { concurrency: 1, prefetch: 4 },
    );
    expect((await lazy.inspectQueue(queue))?.consumers).toBe(1);
    await Promise.all(Array.from({ length: 50 }, (_, i) => setup.publish(msg({ kind: 'queue', queue }, `l${i}`))));
    await waitFor(() => got.length === 50, 10_000, '50 deliveries');
    await waitFor(async () => (await lazy.inspectQueue(queue))?.messages === 0, 5000, 'an empty queue');
  });

  it('a blocked publish connection pauses publishing (logged) while consumers keep going; unblocked resumes', async () => {
    const logger = captureLogger();
    const { transport } = await proxied({ logger });
    const queue = q('blocked');
    await transport.declareQueue({ queue });
    const got: string[] = [];
    await transport.consume(queue, async (d) => {
      got.push(text(d.body));
      await d.ack();
    });
    const publishConnection = transport.connectionsForTesting().publish!;
    publishConnection.emit('blocked', 'low on memory');
    let done = false;
    const pending = transport.publish(msg({ kind: 'queue', queue }, 'held')).then(() => {
      done = true;
    });
    // The consume connection is separate: a message from elsewhere still arrives.
    broker.channel.sendToQueue(queue, Buffer.from('from-elsewhere'));
    await waitFor(() => got.includes('from-elsewhere'), 5000, 'consumers to keep consuming');
    await sleep(300);
    expect(done).toBe(false);
    expect(logger.lines.some((l) => l.level === 'warn' && /blocked/.test(l.msg ?? ''))).toBe(true);
    publishConnection.emit('unblocked');
    await pending;
    await waitFor(() => got.includes('held'), 5000, 'the held message');
  });

  it('a consumer cut off on the client side does not say the broker closed its channel', async () => {
    const logger = captureLogger();
    const { proxy, transport } = await proxied({ logger });
    const queue = q('cut-log');
    await transport.declareQueue({ queue });
    const got: string[] = [];
    await transport.consume(queue, async (d) => {
      got.push(text(d.body));
      await d.ack();
    });
    proxy.cut();
    await waitFor(async () => (await transport.inspectQueue(queue).catch(() => undefined))?.consumers === 1, 10_000, 'the consumer to come back');
    await transport.publish(msg({ kind: 'queue', queue }, 'after'));
    await waitFor(() => got.includes('after'), 5000, 'a delivery after the cut');
    expect(logger.lines.filter((l) => /closed by the broker/.test(l.msg ?? ''))).toEqual([]);
    expect(logger.lines.some((l) => l.level === 'warn' && /connection/i.test(l.msg ?? ''))).toBe(true);
  });

  it('a consumer whose queue is deleted is told (no null reaches the handler), re-declares and resumes', async () => {
    const logger = captureLogger();
    const { transport } = await proxied({ logger });
    const queue = q('deleted');
    await transport.declareQueue({ queue });
    const got: Delivery[] = [];
    await transport.consume(queue, async (d) => {
      got.push(d);
      await d.ack();
    });
    await broker.deleteQueues(queue);
    await waitFor(() => logger.lines.some((l) => /cancelled the consumer/.test(l.msg ?? '')), 5000, 'the cancel to be reported');
    await waitFor(async () => (await transport.inspectQueue(queue))?.consumers === 1, 10_000, 'the consumer to resume on a re-declared queue');
    await transport.publish(msg({ kind: 'queue', queue }, 'again'));
    await waitFor(() => got.length === 1, 5000, 'a delivery after the cancel');
    expect(got.every((d) => d !== null && d.body instanceof Uint8Array)).toBe(true);
  });

  it('after a channel death (e.g. the consumer ack timeout), stale settles are dropped and the message is redelivered', async () => {
    const logger = captureLogger();
    const { transport } = await proxied({ logger });
    const queue = q('stale');
    await transport.declareQueue({ queue });
    const got: Delivery[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const consumer = await transport.consume(queue, async (d) => {
      got.push(d);
      if (got.length === 1) await gate; // the first copy is "stuck" past the broker's patience
      await d.ack();
    });
    await transport.publish(msg({ kind: 'queue', queue }, 'slow'));
    await waitFor(() => got.length === 1, 5000, 'the first delivery');
    const amqpConsumer = transport.consumersForTesting().find((c) => c.queue === queue)!;
    const firstChannel = amqpConsumer.currentChannel!;
    // Provoke what the consumer ack timeout does: the broker closes the channel with 406 PRECONDITION_FAILED.
    firstChannel.ack({ fields: { deliveryTag: 987_654 } } as never);
    await waitFor(() => got.length === 2, 10_000, 'the redelivery on a new channel');
    expect(got[1]!.redelivered).toBe(true);
    expect(logger.lines.filter((l) => /consumer channel closed by the broker/.test(l.msg ?? '')).map((l) => l.obj['code'])).toEqual([406]);
    const secondChannel = amqpConsumer.currentChannel!;
    expect(secondChannel).not.toBe(firstChannel);
    release(); // the old handler finally acks: must be dropped, not sent on the new channel
    await sleep(300);
    expect(amqpConsumer.currentChannel).toBe(secondChannel); // no 406 on the new channel
    await transport.publish(msg({ kind: 'queue', queue }, 'next'));
    await waitFor(() => got.length === 3, 5000, 'a later message');
    await consumer.cancel();
    expect(await transport.inspectQueue(queue)).toMatchObject({ messages: 0 });
    expect(got.map((d) => text(d.body))).toEqual(['slow', 'slow', 'next']);
  });
});
