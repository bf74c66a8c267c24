import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError, TransportClosedError } from '../src/errors.js';
import { InMemoryTransport } from '../src/memory/in-memory-transport.js';
import { silentLogger } from '../src/logger.js';
import type { Delivery, OutgoingMessage } from '../src/transport.js';

const enc = new TextEncoder();
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const toQueue = (queue: string, body: string | Uint8Array = 'x', extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  destination: { kind: 'queue', queue },
  body: typeof body === 'string' ? enc.encode(body) : body,
  messageId: `m${++seq}`,
  contentType: 'text/plain',
  headers: {},
  ...extra,
});
/** Resolves true if `p` settles within `ms`. */
const settlesWithin = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    sleep(ms).then(() => false),
  ]);
const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

let transport: InMemoryTransport;
afterEach(async () => {
  await transport?.close();
});

describe('InMemoryTransport: whenIdle', () => {
  it('resolves at once when nothing is happening, and immediately after close', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    expect(await settlesWithin(transport.whenIdle(), 50)).toBe(true);
    await transport.close();
    expect(await settlesWithin(transport.whenIdle(), 50)).toBe(true);
  });

  it('waits for handlers and for what they publish, transitively', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'a' });
    await transport.declareQueue({ queue: 'b' });
    const done: string[] = [];
    await transport.consume('a', async (d) => {
      await sleep(20);
      await transport.publish(toQueue('b', `from-${text(d.body)}`));
      done.push('a');
      await d.ack();
    });
    await transport.consume('b', async (d) => {
      await sleep(30);
      done.push(text(d.body));
      await d.ack();
    });
    for (let i = 0; i < 3; i++) await transport.publish(toQueue('a', String(i)));
    await transport.whenIdle();
    expect(done.filter((x) => x === 'a')).toHaveLength(3);
    expect(done.filter((x) => x.startsWith('from-')).sort()).toEqual(['from-0', 'from-1', 'from-2']);
  });

  it('waits for delayed messages to arrive and be handled', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    let handledAt = 0;
    await transport.consume('q', async (d) => {
      handledAt = Date.now();
      await d.ack();
    });
    const start = Date.now();
    await transport.publish(toQueue('q', 'x', { delayMs: 150 }));
    await transport.whenIdle();
    expect(handledAt).toBeGreaterThanOrEqual(start + 150);
  });

  it('is held by an unsettled delivery and released by its ack; ignores queues nobody consumes', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'held' });
    await transport.declareQueue({ queue: 'unconsumed' });
    await transport.publish(toQueue('unconsumed'));
    let held: Delivery | undefined;
    await transport.consume('held', async (d) => {
      held = d;
    });
    await transport.publish(toQueue('held'));
    const idle = transport.whenIdle();
    expect(await settlesWithin(idle, 150)).toBe(false);
    expect(held).toBeDefined();
    await held!.ack();
    expect(await settlesWithin(idle, 500)).toBe(true);
    expect((await transport.inspectQueue('unconsumed'))?.messages).toBe(1);
  });
});

describe('InMemoryTransport: hand-over and bytes', () => {
  it('never calls onDelivery synchronously inside publish', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    let calls = 0;
    await transport.consume('q', async (d) => {
      calls++;
      await d.ack();
    });
    const p = transport.publish(toQueue('q'));
    expect(calls).toBe(0);
    await p;
    expect(calls).toBe(0);
    await transport.whenIdle();
    expect(calls).toBe(1);
  });

  it("copies bytes: neither the publisher's later writes nor a consumer's writes are seen elsewhere", async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q1', bindings: [{ topic: 't', pattern: '#' }] });
    await transport.declareQueue({ queue: 'q2', bindings: [{ topic: 't', pattern: '#' }] });
    const seen: Record<string, string[]> = { q1: [], q2: [] };
    for (const q of ['q1', 'q2'] as const) {
      await transport.consume(q, async (d) => {
        seen[q]!.push(text(d.body));
        d.body.fill(0x5a); // a consumer scribbling on its copy
        if (q === 'q1' && !d.redelivered) await d.requeue();
        else await d.ack();
      });
    }
    const buf = Uint8Array.from(enc.encode('original'));
    const p = transport.publish({ ...toQueue('q1'), destination: { kind: 'topic', topic: 't', subject: 's' }, body: buf });
    buf.fill(0x41); // before the publish even resolved
    await p;
    await transport.whenIdle();
    expect(seen.q1).toEqual(['original', 'original']);
    expect(seen.q2).toEqual(['original']);
  });
});

describe('InMemoryTransport: timers and close', () => {
  it('clears delay and request timers on close and rejects pending requests', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    const before = timeouts();
    await transport.publish(toQueue('q', 'x', { delayMs: 60_000 }));
    const pending = transport.request(toQueue('q'), { timeoutMs: 60_000 });
    expect(timeouts()).toBeGreaterThanOrEqual(before + 2);
    const started = Date.now();
    await transport.close();
    expect(Date.now() - started).toBeLessThan(200);
    await expect(pending).rejects.toBeInstanceOf(TransportClosedError);
    expect(timeouts()).toBe(before);
  });

  it('refuses a body that is not bytes, without leaving a request timer behind', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    const before = timeouts();
    const bad = { ...toQueue('q'), body: 'text' as unknown as Uint8Array };
    await expect(transport.publish(bad)).rejects.toBeInstanceOf(ConfigurationError);
    await expect(transport.request(bad, { timeoutMs: 60_000 })).rejects.toBeInstanceOf(ConfigurationError);
    expect(timeouts()).toBe(before);
    expect((await transport.inspectQueue('q'))?.messages).toBe(0);
  });

  it('lets in-flight handlers publish while close waits for them', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'in' });
    await transport.declareQueue({ queue: 'out' });
    let started = false;
    let publishError: unknown;
    await transport.consume('in', async (d) => {
      started = true;
      await sleep(50);
      await transport.publish(toQueue('out')).catch((e: unknown) => (publishError = e));
      await d.ack();
    });
    await transport.publish(toQueue('in'));
    while (!started) await sleep(5);
    const stats = transport.inspectQueue('out');
    await transport.close();
    expect(publishError).toBeUndefined();
    expect((await stats)?.messages).toBe(0);
  });

  it('refuses start, declare, consume and inspect after close', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q' });
    await transport.close();
    await expect(transport.start()).rejects.toBeInstanceOf(TransportClosedError);
    await expect(transport.declareQueue({ queue: 'r' })).rejects.toBeInstanceOf(TransportClosedError);
    await expect(transport.consume('q', async () => {})).rejects.toBeInstanceOf(TransportClosedError);
    await expect(transport.inspectQueue('q')).rejects.toBeInstanceOf(TransportClosedError);
  });
});
