import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, UnroutableError } from '../src/errors.js';
import { compileTopicPattern } from '../src/memory/in-memory-topic-pattern.js';
import { InMemoryTransport } from '../src/memory/in-memory-transport.js';
import { silentLogger } from '../src/logger.js';
import type { Delivery, OutgoingMessage } from '../src/transport.js';

const enc = new TextEncoder();
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const toQueue = (queue: string, body = 'x', extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  destination: { kind: 'queue', queue },
  body: enc.encode(body),
  messageId: `m${++seq}`,
  contentType: 'text/plain',
  headers: {},
  ...extra,
});

let transport: InMemoryTransport;
afterEach(async () => {
  await transport?.close();
});

describe('compileTopicPattern', () => {
  const table: Array<[string, string, boolean]> = [
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['#.c', 'c', true],
    ['#.c', 'a.b.c', true],
    ['#.c', 'a.b', false],
    ['a.#.z', 'a.z', true],
    ['a.#.z', 'a.b.c.z', true],
    ['a.#.z', 'a.b.c', false],
    ['#.#', 'x.y', true],
    ['*.*', 'x', false],
    ['*.#.*', 'x', false],
    ['*.#.*', 'x.y', true],
    ['a.[b]+$', 'a.[b]+$', true],
    ['a.[b]+$', 'a.bb', false],
    ['#', '', true],
  ];
  it.each(table)('%s vs %s -> %s', (pattern, subject, expected) => {
    expect(compileTopicPattern(pattern)(subject)).toBe(expected);
  });

  it('stays linear on pathological patterns', () => {
    const m = compileTopicPattern('#.a.#.a.#.a.#.a.#.b');
    const started = Date.now();
    expect(m(Array.from({ length: 2000 }, () => 'a').join('.'))).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('InMemoryTransport: consumers', () => {
  it('serves competing consumers round-robin', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    const count = { a: 0, b: 0 };
    for (const who of ['a', 'b'] as const)
      await transport.consume(
        'q',
        async (d) => {
          count[who]++;
          await d.ack();
        },
        { concurrency: 1 },
      );
    for (let i = 0; i < 10; i++) await transport.publish(toQueue('q'));
    await transport.whenIdle();
    expect(count).toEqual({ a: 5, b: 5 });
  });

  it('stops at `prefetch` unsettled deliveries and resumes when one is settled', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    const got: Delivery[] = [];
    await transport.consume('q', async (d) => void got.push(d), { concurrency: 5, prefetch: 2 });
    for (let i = 0; i < 4; i++) await transport.publish(toQueue('q'));
    await sleep(50);
    expect(got).toHaveLength(2);
    expect((await transport.inspectQueue('q'))?.messages).toBe(2);
    await got[0]!.ack();
    await sleep(50);
    expect(got).toHaveLength(3);
  });

  it('requeues unsettled deliveries when their consumer is cancelled; settling later is a no-op', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    const got: Delivery[] = [];
    const c = await transport.consume('q', async (d) => void got.push(d));
    await transport.publish(toQueue('q', 'keep'));
    while (got.length === 0) await sleep(5);
    await c.cancel();
    await got[0]!.ack(); // stale: ignored
    expect((await transport.inspectQueue('q'))?.messages).toBe(1);
    const again: Delivery[] = [];
    await transport.consume('q', async (d) => {
      again.push(d);
      await d.ack();
    });
    await transport.whenIdle();
    expect(again.map((d) => [text(d.body), d.redelivered])).toEqual([['keep', true]]);
  });

  it('drops a message that expires while every consumer is busy', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    const got: string[] = [];
    await transport.consume(
      'q',
      async (d) => {
        got.push(text(d.body));
        if (text(d.body) === 'slow') await sleep(150);
        await d.ack();
      },
      { concurrency: 1 },
    );
    await transport.publish(toQueue('q', 'slow'));
    await transport.publish(toQueue('q', 'short-lived', { expiresInMs: 50 }));
    await transport.publish(toQueue('q', 'durable'));
    await transport.whenIdle();
    expect(got).toEqual(['slow', 'durable']);
  });

  it('drops a repeated reply without error', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'rpc' });
    const replyErrors: unknown[] = [];
    await transport.consume('rpc', async (d) => {
      await d.reply!({ body: enc.encode('first'), contentType: 'text/plain', headers: {} });
      await d.reply!({ body: enc.encode('second'), contentType: 'text/plain', headers: {} }).catch((e: unknown) => replyErrors.push(e));
      await d.ack();
    });
    const reply = await transport.request(toQueue('rpc'), { timeoutMs: 1000 });
    await transport.whenIdle();
    expect(text(reply.body)).toBe('first');
    expect(replyErrors).toEqual([]);
  });
});

describe('InMemoryTransport: topology', () => {
  it('removes a temporary queue, and its routes, with its last consumer', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'tmp', temporary: true, bindings: [{ topic: 't', pattern: '#' }], commandsFor: 'svc' });
    const c = await transport.consume('tmp', async (d) => d.ack());
    expect((await transport.inspectQueue('tmp'))?.consumers).toBe(1);
    await c.cancel();
    expect(await transport.inspectQueue('tmp')).toBeUndefined();
    await expect(transport.publish({ ...toQueue('x'), destination: { kind: 'topic', topic: 't', subject: 'a' } })).rejects.toBeInstanceOf(UnroutableError);
    await expect(transport.publish({ ...toQueue('x'), destination: { kind: 'command', service: 'svc' } })).rejects.toBeInstanceOf(UnroutableError);
  });

  it('refuses conflicting re-declarations and consuming a missing queue with ConfigurationError', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'p', maxPriority: 5 });
    await expect(transport.declareQueue({ queue: 'p' })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(transport.declareQueue({ queue: 'p', maxPriority: 500 })).rejects.toBeInstanceOf(ConfigurationError);
    await transport.declareQueue({ queue: 'a', bindings: [{ topic: 'ex', pattern: 'x', exchangeType: 'direct' }] });
    await expect(transport.declareQueue({ queue: 'b', bindings: [{ topic: 'ex', pattern: 'x' }] })).rejects.toBeInstanceOf(ConfigurationError);
    // An external binding takes the exchange as it is.
    await transport.declareQueue({ queue: 'c', bindings: [{ topic: 'ex', pattern: 'x', external: true }] });
    await expect(transport.consume('missing', async () => {})).rejects.toBeInstanceOf(ConfigurationError);
    await expect(transport.consume('a', async () => {}, { concurrency: 0 })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('drops a delayed message whose route disappeared before it was due', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'tmp', temporary: true });
    const c = await transport.consume('tmp', async (d) => d.ack());
    await transport.publish(toQueue('tmp', 'x', { delayMs: 30 }));
    await c.cancel();
    await transport.whenIdle();
    expect(await transport.inspectQueue('tmp')).toBeUndefined();
  });
});
