// The in-memory broker's fast paths keep its semantics: the route cache follows every topology
// change, request deadlines (one timer per distinct timeoutMs) fire on time and leave no timer
// holding the process, and the body arena keeps the broker's copies apart from the consumers'.
import { afterEach, describe, expect, it } from 'vitest';
import { RequestTimeoutError, UnroutableError } from '../src/errors.js';
import { InMemoryTransport } from '../src/memory/in-memory-transport.js';
import { silentLogger } from '../src/logger.js';
import type { Delivery, Destination, OutgoingMessage } from '../src/transport.js';

const enc = new TextEncoder();
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
let seq = 0;
const to = (destination: Destination, body = 'x'): OutgoingMessage => ({
  destination,
  body: enc.encode(body),
  messageId: `m${++seq}`,
  contentType: 'text/plain',
  headers: {},
});
const topic = (subject: string, body = subject): OutgoingMessage => to({ kind: 'topic', topic: 'orders', subject }, body);
const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );
/** Timers that keep the process alive (unref'd ones are not listed). */
const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

let transport: InMemoryTransport;
afterEach(async () => {
  await transport?.close();
});

describe('InMemoryTransport: cached routes follow the topology', () => {
  it('a subject found unroutable routes once a queue is bound, and stops when the queue is deleted', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    expect(await rejection(transport.publish(topic('placed.eu')))).toBeInstanceOf(UnroutableError);
    await transport.declareQueue({ queue: 'billing', bindings: [{ topic: 'orders', pattern: 'placed.*' }] });
    await transport.publish(topic('placed.eu'));
    expect((await transport.inspectQueue('billing'))?.messages).toBe(1);
    await transport.declareQueue({ queue: 'audit', bindings: [{ topic: 'orders', pattern: '#' }] });
    await transport.publish(topic('placed.eu'));
    expect((await transport.inspectQueue('billing'))?.messages).toBe(2);
    expect((await transport.inspectQueue('audit'))?.messages).toBe(1);
    await transport.deleteQueue('billing');
    await transport.deleteQueue('audit');
    expect(await rejection(transport.publish(topic('placed.eu')))).toBeInstanceOf(UnroutableError);
  });

  it('command routes and temporary queues: routed while they exist, unroutable after', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    const command = to({ kind: 'command', service: 'sms' });
    expect(await rejection(transport.publish(command))).toBeInstanceOf(UnroutableError);
    await transport.declareQueue({ queue: 'sms', commandsFor: 'sms' });
    await transport.publish(to({ kind: 'command', service: 'sms' }));
    expect((await transport.inspectQueue('sms'))?.messages).toBe(1);

    await transport.declareQueue({ queue: 'replies-1', temporary: true, bindings: [{ topic: 'orders', pattern: 'shipped' }] });
    const consumer = await transport.consume('replies-1', (d) => d.ack());
    await transport.publish(topic('shipped'));
    await transport.whenIdle();
    await consumer.cancel(); // the last consumer of a temporary queue: the queue goes
    expect(await transport.inspectQueue('replies-1')).toBeUndefined();
    expect(await rejection(transport.publish(topic('shipped')))).toBeInstanceOf(UnroutableError);
  });

  it('routes every subject right past the cache limit (5000 distinct subjects)', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'even', bindings: [{ topic: 'orders', pattern: 'even.*' }] });
    await transport.declareQueue({ queue: 'all', bindings: [{ topic: 'orders', pattern: '#' }] });
    for (let i = 0; i < 5000; i++) await transport.publish(topic(`${i % 2 === 0 ? 'even' : 'odd'}.${i}`));
    for (let i = 0; i < 10; i++) await transport.publish(topic(`even.${i}`)); // some seen before, maybe evicted since
    expect((await transport.inspectQueue('even'))?.messages).toBe(2510);
    expect((await transport.inspectQueue('all'))?.messages).toBe(5010);
  });
});

describe('InMemoryTransport: request deadlines', () => {
  it('each request times out no sooner than its own timeoutMs, in any mix of durations', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'nobody' });
    const before = timeouts();
    const started = performance.now();
    const settledAfter = (timeoutMs: number): Promise<{ timeoutMs: number; err: unknown; ms: number }> =>
      rejection(transport.request(to({ kind: 'queue', queue: 'nobody' }), { timeoutMs })).then((err) => ({ timeoutMs, err, ms: performance.now() - started }));
    const results = await Promise.all([settledAfter(120), settledAfter(40), settledAfter(120), settledAfter(80), settledAfter(40)]);
    for (const r of results) {
      expect(r.err).toBeInstanceOf(RequestTimeoutError);
      expect(r.ms).toBeGreaterThanOrEqual(r.timeoutMs - 1);
      expect(r.ms).toBeLessThan(r.timeoutMs + 1000);
    }
    // A lane that emptied and went away is made again for the next request.
    expect(await rejection(transport.request(to({ kind: 'queue', queue: 'nobody' }), { timeoutMs: 40 }))).toBeInstanceOf(RequestTimeoutError);
    expect(timeouts()).toBeLessThanOrEqual(before); // other code's timers may come and go, ours are gone
  });

  it('answered requests leave no timer keeping the process alive', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'echo' });
    await transport.consume('echo', async (d) => {
      await d.reply!({ body: d.body, contentType: 'text/plain', headers: {} });
      await d.ack();
    });
    const before = timeouts();
    for (let i = 0; i < 3; i++) {
      const reply = await transport.request(to({ kind: 'queue', queue: 'echo' }, `ping ${i}`), { timeoutMs: 60_000 });
      expect(text(reply.body)).toBe(`ping ${i}`);
      expect(timeouts()).toBeLessThanOrEqual(before);
    }
  });

  it('one slow request at the front of many answered ones still times out, and only it', async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'slow' });
    await transport.declareQueue({ queue: 'echo' });
    await transport.consume('echo', async (d) => {
      await d.reply!({ body: d.body, contentType: 'text/plain', headers: {} });
      await d.ack();
    });
    // Same timeoutMs, so one lane: 1600 answered deadlines pile up behind the slow one (and get compacted away).
    const timeoutMs = 1500;
    const started = performance.now();
    const slow = rejection(transport.request(to({ kind: 'queue', queue: 'slow' }), { timeoutMs }));
    const answered: string[] = [];
    for (let wave = 0; wave < 25; wave++) {
      const replies = await Promise.all(
        Array.from({ length: 64 }, (_, i) => transport.request(to({ kind: 'queue', queue: 'echo' }, `n${wave * 64 + i}`), { timeoutMs })),
      );
      answered.push(...replies.map((r) => text(r.body)));
    }
    expect(answered).toEqual(Array.from({ length: 1600 }, (_, i) => `n${i}`));
    expect(await slow).toBeInstanceOf(RequestTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(timeoutMs - 1);
  });
});

describe('InMemoryTransport: body copies', () => {
  it("a consumer writing over its copy's whole ArrayBuffer changes neither the redelivery nor another queue's copy", async () => {
    transport = new InMemoryTransport({ logger: silentLogger });
    await transport.declareQueue({ queue: 'q1', bindings: [{ topic: 'orders', pattern: '#' }] });
    await transport.declareQueue({ queue: 'q2', bindings: [{ topic: 'orders', pattern: '#' }] });
    const seen: Record<string, Array<[string, boolean]>> = { q1: [], q2: [] };
    const scribble = (d: Delivery): void => {
      new Uint8Array(d.body.buffer).fill(0x5a);
    };
    await transport.consume('q1', async (d) => {
      seen.q1!.push([text(d.body), d.redelivered]);
      scribble(d);
      if (d.redelivered) await d.ack();
      else await d.requeue();
    });
    for (let i = 0; i < 3; i++) await transport.publish(topic('placed', `body ${i}`));
    await transport.whenIdle();
    await transport.consume('q2', async (d) => {
      seen.q2!.push([text(d.body), d.redelivered]);
      scribble(d);
      await d.ack();
    });
    await transport.whenIdle();
    const expected = (redelivered: boolean[]): Array<[string, boolean]> =>
      [0, 1, 2].flatMap((i) => redelivered.map((r): [string, boolean] => [`body ${i}`, r]));
    expect([...seen.q1!].sort()).toEqual(expected([false, true]).sort());
    expect(seen.q2).toEqual(expected([false])); // its own entries: q1's requeues did not mark them redelivered
  });
});
