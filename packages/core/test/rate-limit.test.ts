import { describe, expect, it } from 'vitest';
import { ConfigurationError, createMetro, InMemoryTransport, MetroHeaders, silentLogger, type Logger } from '../src/index.js';
import { recordHeadersOf } from '../src/record-headers.js';
import { resolveRateLimit } from '../src/rate-limit/rate-limit.js';
import { TokenBucket } from '../src/rate-limit/token-bucket.js';
import { FlakyTransport, OrderPlaced, OrderShipped, waitUntil } from './helpers.js';

// The 10-second accuracy runs (in memory and on RabbitMQ, at once) are in transport-amqp's rate-limit.test.ts.

function warnings(): Logger & { readonly seen: string[] } {
  const seen: string[] = [];
  return { ...silentLogger, seen, warn: (_obj, msg) => void seen.push(msg ?? '') };
}

describe('rate limit: the token bucket', () => {
  it('lets the burst through at once, then one token per interval; wait() takes nothing; an idle spell refills up to the burst only', () => {
    let now = 1_000;
    const bucket = new TokenBucket({ intervalMs: 100, burst: 3 }, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0]);
    expect(bucket.wait()).toBe(100);
    expect(bucket.wait()).toBe(100);
    expect([bucket.take(), bucket.take()]).toEqual([100, 200]);
    now += 250; // the slots at +100 and +200 passed; the next is +300
    expect(bucket.take()).toBe(50);
    now += 10_000; // idle: full again, but never more than the burst
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 0, 100]);
  });

  it('defaults: per 1 s, burst a tenth of messages (at least 1); bad values are ConfigurationErrors that say what to pass', () => {
    expect(resolveRateLimit({ messages: 50 }, 'x')).toEqual({ intervalMs: 20, burst: 5 });
    expect(resolveRateLimit({ messages: 3, per: '1m' }, 'x')).toEqual({ intervalMs: 20_000, burst: 1 });
    expect(resolveRateLimit({ messages: 100, per: 500, burst: 1 }, 'x')).toEqual({ intervalMs: 5, burst: 1 });
    expect(() => resolveRateLimit({ messages: 0 }, 'handler "h"')).toThrow(/handler "h" has messages: 0; pass a positive number/);
    expect(() => resolveRateLimit({ messages: 1, per: '0s' }, 'x')).toThrow(/period longer than 0/);
    expect(() => resolveRateLimit({ messages: 1, burst: 0.5 }, 'x')).toThrow(/whole number of messages, at least 1/);
    const metro = createMetro({ service: 'rl-config', transport: new InMemoryTransport({ logger: silentLogger }), logger: silentLogger });
    expect(() => metro.on(OrderPlaced, () => undefined, { rateLimit: { messages: -1 } })).toThrow(ConfigurationError);
    expect(() => metro.subscription('bad', { rateLimit: { messages: Number.NaN } })).toThrow(ConfigurationError);
  });

  it('a deferred copy does not carry its reserved slot into failure records or retries', () => {
    const headers = recordHeadersOf({ headers: { [MetroHeaders.rateSlot]: '123', [MetroHeaders.handler]: 'h', keep: 'yes' } });
    expect(headers).toEqual({ keep: 'yes' });
  });
});

describe('rate limit: in memory', () => {
  it("stop() ends a subscription's waits at once: the waiting messages go back to the queue, none is lost or failed", async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({ service: 'rl-stop', transport, logger: silentLogger, closeTransport: false });
    const slow = metro.subscription('slow', { rateLimit: { messages: 1, per: '10s', burst: 1 }, concurrency: 4 });
    const handled: string[] = [];
    slow.on(OrderPlaced, (p) => void handled.push(p.orderId));
    await metro.start();
    for (let i = 0; i < 6; i++) await metro.publish(OrderPlaced, { orderId: String(i) });
    await waitUntil(() => handled.length === 1 && metro.stats().rateLimits[0]!.waiting === 4);
    // Only what the consumer's concurrency holds left the queue; the rest waits there.
    expect((await transport.inspectQueue(slow.queue))!.messages).toBe(1);
    const startedStop = Date.now();
    await metro.stop();
    expect(Date.now() - startedStop).toBeLessThan(1000);
    expect(handled).toEqual(['0']);
    expect((await transport.inspectQueue(slow.queue))!.messages).toBe(5);
    expect((await metro.failures.list()).items).toHaveLength(0);
    await transport.close();
  });

  it("stop() ends a handler's in-process wait: that message is requeued, not failed", async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({ service: 'rl-stop-handler', transport, logger: silentLogger, concurrency: 8, closeTransport: false });
    const handled: string[] = [];
    metro.on(OrderPlaced, (p) => void handled.push(p.orderId), { rateLimit: { messages: 1, per: '900ms', burst: 1 } });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: 'a' });
    await metro.publish(OrderPlaced, { orderId: 'b' });
    await waitUntil(() => handled.length === 1 && metro.stats().rateLimits[0]!.waiting === 1);
    const startedStop = Date.now();
    await metro.stop();
    expect(Date.now() - startedStop).toBeLessThan(500);
    expect(handled).toEqual(['a']);
    expect((await transport.inspectQueue('rl-stop-handler'))!.messages).toBe(1);
    expect((await metro.failures.list()).items).toHaveLength(0);
    await transport.close();
  });

  it('over the waiting share, a copy for the limited handler alone is deferred to its slot; the other handlers run now, once', async () => {
    const metro = createMetro({ service: 'rl-defer', transport: new InMemoryTransport({ logger: silentLogger }), logger: silentLogger, concurrency: 1 });
    const limited: Array<{ id: string; at: number }> = [];
    const other: string[] = [];
    const shipped: string[] = [];
    metro.on(OrderPlaced, (p) => void limited.push({ id: p.orderId, at: Date.now() }), { name: 'limited', rateLimit: { messages: 4, burst: 1 } });
    metro.on(OrderPlaced, (p) => void other.push(p.orderId), { name: 'other' });
    metro.on(OrderShipped, (p) => void shipped.push(p.orderId));
    await metro.start();
    const start = Date.now();
    for (const orderId of ['1', '2', '3']) await metro.publish(OrderPlaced, { orderId });
    await metro.publish(OrderShipped, { orderId: 's' });
    await waitUntil(() => other.length === 3 && shipped.length === 1, 200);
    expect(limited.map((l) => l.id)).toEqual(['1']);
    await waitUntil(() => limited.length === 3, 2000);
    expect(limited.map((l) => l.id)).toEqual(['1', '2', '3']);
    // 4 per second, burst 1: slots at 0, 250, 500 ms.
    expect(limited[1]!.at - start).toBeGreaterThanOrEqual(240);
    expect(limited[2]!.at - start).toBeGreaterThanOrEqual(490);
    expect(other).toEqual(['1', '2', '3']);
    expect(metro.stats().rateLimits).toEqual([{ queue: 'rl-defer', handler: 'limited', admitted: 3, deferred: 2, waiting: 0 }]);
    await metro.stop();
  });

  it("a batch handler's messages take their slots before they join a batch: over the limit they are deferred and join later batches, each once", async () => {
    // concurrency 2: no delivery may wait in process for its slot (a quarter of 2 is 0), so every late one is deferred
    const metro = createMetro({ service: 'rl-batch', transport: new InMemoryTransport({ logger: silentLogger }), logger: silentLogger, concurrency: 2 });
    const batches: Array<{ ids: string[]; at: number }> = [];
    metro.onBatch(OrderPlaced, (batch) => void batches.push({ ids: batch.map((item) => item.data.orderId), at: Date.now() }), {
      name: 'bulk',
      maxSize: 2,
      maxWait: '20ms',
      rateLimit: { messages: 4, burst: 1 },
    });
    await metro.start();
    const start = Date.now();
    for (const orderId of ['1', '2', '3']) await metro.publish(OrderPlaced, { orderId });
    await waitUntil(() => batches.flatMap((b) => b.ids).length === 3, 2000);
    // 4 per second, burst 1: slots at 0, 250 and 500 ms, each message in a batch of its own at its slot
    expect(batches.map((b) => b.ids)).toEqual([['1'], ['2'], ['3']]);
    expect(batches[1]!.at - start).toBeGreaterThanOrEqual(240);
    expect(batches[2]!.at - start).toBeGreaterThanOrEqual(490);
    expect(metro.stats().rateLimits).toEqual([{ queue: 'rl-batch', handler: 'bulk', admitted: 3, deferred: 2, waiting: 0 }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(batches.flatMap((b) => b.ids)).toHaveLength(3);
    await metro.stop();
  });

  it('a deferral the broker refuses waits for its slot in process instead (warned), and still runs once', async () => {
    const transport = new FlakyTransport();
    const logger = warnings();
    const metro = createMetro({ service: 'rl-refused', transport, logger, concurrency: 1 });
    const publisher = createMetro({ service: 'rl-refused-publisher', transport: transport.inner, logger: silentLogger, closeTransport: false });
    const limited: string[] = [];
    metro.on(OrderPlaced, (p) => void limited.push(p.orderId), { rateLimit: { messages: 10, burst: 1 } });
    await metro.start();
    transport.failPublishes = true;
    await publisher.publish(OrderPlaced, { orderId: '1' });
    await publisher.publish(OrderPlaced, { orderId: '2' });
    await waitUntil(() => limited.length === 2, 2000);
    transport.failPublishes = false;
    await publisher.stop();
    expect(limited).toEqual(['1', '2']);
    expect(logger.seen.filter((m) => m.includes('could not defer'))).toHaveLength(1);
    expect(metro.stats().rateLimits[0]).toMatchObject({ admitted: 2, deferred: 0 });
    expect((await metro.failures.list()).items).toHaveLength(0);
    await metro.stop();
  });
});
