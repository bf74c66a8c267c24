import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsumeMessage } from 'amqplib';
import { DELIVERY_SETTLED, type Delivery } from '@metro/core';
import { AmqpTransport } from '../src/index.js';
import { AMQP_URL, RawBroker, unique, waitFor } from './support/broker.js';

const queues: string[] = [];
const transports: AmqpTransport[] = [];
let broker: RawBroker;

function transport(): AmqpTransport {
  const t = new AmqpTransport({ url: AMQP_URL, publishTimeoutMs: 10_000 });
  transports.push(t);
  return t;
}

async function rawQueue(label: string): Promise<string> {
  const name = unique(label);
  queues.push(name);
  await broker.channel.assertQueue(name, { durable: false, autoDelete: false });
  return name;
}

beforeAll(async () => {
  broker = await RawBroker.connect();
});

afterAll(async () => {
  for (const t of transports) await t.close();
  await broker.deleteQueues(...queues);
  await broker.close();
});

describe('hot paths of the transport', () => {
  it("a fresh transport's first publish (no start()) costs only the connect, not a poll interval", async () => {
    const queue = await rawQueue('first-publish');
    const t = transport();
    const started = performance.now();
    await t.publish({ destination: { kind: 'queue', queue }, body: Buffer.from('{}'), messageId: 'm1', contentType: 'application/json', headers: {} });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(600);
    const got = await broker.channel.get(queue, { noAck: true });
    expect(got && got.properties.messageId).toBe('m1');
  });

  it('a handler that settles before returning (DELIVERY_SETTLED) works through a backlog of 5,000 at concurrency 1, in order, without recursing', async () => {
    const queue = await rawQueue('sync-settle');
    const t = transport();
    const total = 5000;
    for (let i = 0; i < total; i++) broker.channel.sendToQueue(queue, Buffer.from(String(i)), { messageId: `m${i}` });
    const seen: number[] = [];
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    let fastPaths = 0;
    await t.consume(
      queue,
      (delivery) => {
        seen.push(Number(Buffer.from(delivery.body).toString()));
        // The first one holds the only slot until the rest are prefetched, so they wait in the backlog.
        if (seen.length === 1) return firstHeld.then(() => delivery.ack());
        const settled = delivery.ack();
        if (settled === DELIVERY_SETTLED) fastPaths++;
        return settled;
      },
      { concurrency: 1, prefetch: total },
    );
    await waitFor(async () => (await broker.channel.checkQueue(queue)).messageCount === 0, 10_000, 'all 5,000 prefetched');
    release();
    await waitFor(() => seen.length === total, 10_000, `${total} handled (${seen.length} so far)`);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(fastPaths).toBe(total - 1);
    await waitFor(async () => (await t.inspectQueue(queue))?.messages === 0, 5000, 'every delivery acked');
  });

  it('requests are transient, replies come back at once from a fresh transport (no start())', async () => {
    const queue = await rawQueue('rr');
    const server = transport();
    const client = transport();
    const seen: Delivery[] = [];
    // The consumer starts only the consume connection: the first reply opens the publish channel.
    await server.consume(queue, async (delivery) => {
      seen.push(delivery);
      await delivery.reply?.({ body: Buffer.from(`re:${delivery.messageId}`), contentType: 'text/plain', headers: { 'x-echo': 'yes' } });
      await delivery.ack();
    });
    const started = performance.now();
    const reply = await client.request(
      { destination: { kind: 'queue', queue }, body: Buffer.from('ping'), messageId: 'req-1', contentType: 'text/plain', headers: {} },
      { timeoutMs: 5000 },
    );
    const elapsed = performance.now() - started;
    expect(Buffer.from(reply.body).toString()).toBe('re:req-1');
    expect(reply.headers['x-echo']).toBe('yes');
    // Two lazy connects (client publish, server publish), no 1 s poll fallback.
    expect(elapsed).toBeLessThan(900);
    expect(seen).toHaveLength(1);
    // Many in flight at once, all answered.
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.request(
          { destination: { kind: 'queue', queue }, body: Buffer.from('x'), messageId: `r${i}`, contentType: 'text/plain', headers: {} },
          { timeoutMs: 10_000 },
        ),
      ),
    );
    expect(replies.map((r) => Buffer.from(r.body).toString())).toEqual(Array.from({ length: 200 }, (_, i) => `re:r${i}`));
  });

  it('publishes requests non-persistent (delivery mode 1) with reply-to and correlation id; events stay persistent', async () => {
    const queue = await rawQueue('transient');
    const client = transport();
    const received: ConsumeMessage[] = [];
    const ch = await broker.scratch();
    await ch.consume(
      queue,
      (m) => {
        if (!m) return;
        received.push(m);
        ch.sendToQueue(m.properties.replyTo as string, Buffer.from('ok'), { correlationId: m.properties.correlationId as string });
      },
      { noAck: true },
    );
    const reply = await client.request(
      { destination: { kind: 'queue', queue }, body: Buffer.from('q'), messageId: 'q1', contentType: 'text/plain', headers: {} },
      { timeoutMs: 5000 },
    );
    expect(Buffer.from(reply.body).toString()).toBe('ok');
    await client.publish({ destination: { kind: 'queue', queue }, body: Buffer.from('e'), messageId: 'e1', contentType: 'text/plain', headers: {} });
    await waitFor(() => received.length === 2, 5000, 'request and event');
    const [request, event] = received;
    expect(request!.properties.deliveryMode).not.toBe(2);
    expect(request!.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to/);
    expect(typeof request!.properties.correlationId).toBe('string');
    expect(event!.properties.deliveryMode).toBe(2);
    await ch.close();
  });

  it('a request to a topic its client has not declared yet (declared on first use) is answered, as are the next ones', async () => {
    const topic = unique('rr-topic');
    const queue = unique('rr-topic-q');
    queues.push(queue);
    const server = transport();
    const client = transport();
    await server.declareQueue({ queue, bindings: [{ topic, pattern: 'ask.#' }] });
    await server.consume(queue, async (delivery) => {
      await delivery.reply?.({ body: Buffer.from(`re:${delivery.messageId}`), contentType: 'text/plain', headers: {} });
      await delivery.ack();
    });
    const ask = (id: string) =>
      client.request(
        { destination: { kind: 'topic', topic, subject: 'ask.price' }, body: Buffer.from('?'), messageId: id, contentType: 'text/plain', headers: {} },
        { timeoutMs: 5000 },
      );
    // The first request waits for the exchange declaration (the publisher's slow path), the rest take the hot path.
    const [first, ...rest] = await Promise.all([ask('t0'), ask('t1'), ask('t2')]);
    expect([first, ...rest].map((r) => Buffer.from(r.body).toString())).toEqual(['re:t0', 're:t1', 're:t2']);
    expect(Buffer.from((await ask('t3')).body).toString()).toBe('re:t3');
    await broker.deleteExchanges(`${topic}`).catch(() => undefined);
  });

  it('a reply to a caller that is gone is dropped, and the channel it went out on keeps serving calls both ways', async () => {
    const queue = await rawQueue('reply-to-gone');
    const server = transport();
    let held: Delivery | undefined;
    await server.consume(queue, async (delivery) => {
      if (!held) {
        held = delivery; // answered below, after its caller has closed
        return;
      }
      await delivery.reply?.({ body: Buffer.from('ok'), contentType: 'text/plain', headers: {} });
      await delivery.ack();
    });
    const gone = new AmqpTransport({ url: AMQP_URL });
    const lost = gone
      .request({ destination: { kind: 'queue', queue }, body: Buffer.from('1'), messageId: 'g1', contentType: 'text/plain', headers: {} }, { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    await waitFor(() => held !== undefined, 5000, 'first request held');
    await gone.close();
    await lost;
    // The server replies to a reply-to address whose channel no longer exists.
    await held!.reply?.({ body: Buffer.from('late'), contentType: 'text/plain', headers: {} });
    await held!.ack();
    // Its request/reply channel still carries replies to others and its own requests.
    const other = transport();
    const reply = await other.request(
      { destination: { kind: 'queue', queue }, body: Buffer.from('2'), messageId: 'g2', contentType: 'text/plain', headers: {} },
      { timeoutMs: 5000 },
    );
    expect(Buffer.from(reply.body).toString()).toBe('ok');
    const own = await server.request(
      { destination: { kind: 'queue', queue }, body: Buffer.from('3'), messageId: 'g3', contentType: 'text/plain', headers: {} },
      { timeoutMs: 5000 },
    );
    expect(Buffer.from(own.body).toString()).toBe('ok');
  });

  it('a reply sent while the publish connection is down waits for the next channel instead of failing', async () => {
    const queue = await rawQueue('reply-loss');
    const server = new AmqpTransport({ url: AMQP_URL, publishTimeoutMs: 10_000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    transports.push(server);
    const client = transport();
    await server.start();
    const outcomes: string[] = [];
    let first = true;
    await server.consume(queue, async (delivery) => {
      if (first) {
        first = false;
        // Drop the server's publish connection right before replying.
        await server.connectionsForTesting().publish?.close();
      }
      await delivery.reply?.({ body: Buffer.from('late'), contentType: 'text/plain', headers: {} }).then(
        () => outcomes.push('sent'),
        (err: unknown) => outcomes.push(`failed: ${String(err)}`),
      );
      await delivery.ack();
    });
    const reply = await client.request(
      { destination: { kind: 'queue', queue }, body: Buffer.from('x'), messageId: 'x1', contentType: 'text/plain', headers: {} },
      { timeoutMs: 8000 },
    );
    expect(Buffer.from(reply.body).toString()).toBe('late');
    expect(outcomes).toEqual(['sent']);
  });
});
