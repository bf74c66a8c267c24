import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createMetro, defineEvent, InMemoryFailureStore, InMemoryTransport, silentLogger, type Metro, type Transport } from '@metro/core';
import { sleep, waitFor } from './support/broker.js';
import { BusFixture } from './support/bus-fixture.js';

// The accuracy cases each measure 10 s; every case runs at once (it.concurrent), so the file costs ~11-12 s.
const RATE = 20;
const WINDOW_MS = 10_000;
/** Token bucket: the default burst (a tenth of `messages`) is spent at once, then RATE per second. */
const EXPECTED = Math.ceil(RATE / 10) + (RATE * WINDOW_MS) / 1000;
/** More than the 10 s window admits (202 + 10%), so the limiter always has messages waiting. */
const BACKLOG = 250;

const fixture = new BusFixture();
beforeAll(() => fixture.open());
afterAll(() => fixture.close());

type Kind = 'memory' | 'rabbitmq';

interface Bus {
  readonly metro: Metro;
  /** Messages ready in a queue, as the broker (or the in-memory queue) counts them. */
  ready(queue: string): Promise<number>;
}

function busOn(kind: Kind, label: string, options: { concurrency: number; prefetch: number }): Bus {
  const service = fixture.service(`rate-${label}-${kind}`);
  if (kind === 'rabbitmq') {
    const metro = fixture.metro(service, { ...options, logger: silentLogger });
    return {
      metro,
      ready: async (queue) => {
        const channel = await fixture.broker.scratch();
        try {
          return (await channel.checkQueue(queue)).messageCount;
        } finally {
          await channel.close().catch(() => undefined);
        }
      },
    };
  }
  const transport: Transport = new InMemoryTransport({ logger: silentLogger });
  const metro = createMetro({ service, transport, failures: new InMemoryFailureStore(), logger: silentLogger, ...options });
  return { metro, ready: async (queue) => (await transport.inspectQueue(queue))?.messages ?? 0 };
}

/** Handled within the window that starts at the first handled message. */
function inWindow(times: ReadonlyArray<number>): number {
  const t0 = times[0]!;
  return times.filter((t) => t - t0 < WINDOW_MS).length;
}

/** The accuracy: what was handled in the window is within 10% of what the limit allows. */
function expectWithinTenPercent(times: ReadonlyArray<number>): void {
  const count = inWindow(times);
  expect(count).toBeGreaterThanOrEqual(EXPECTED * 0.9);
  expect(count).toBeLessThanOrEqual(EXPECTED * 1.1);
}

/** Samples how many deliveries wait in process for the bus's first rate limiter, every 50 ms, until `stop()`. */
function sampleWaiting(metro: Metro): { readonly max: () => number; stop(): void } {
  let max = 0;
  const timer = setInterval(() => (max = Math.max(max, metro.stats().rateLimits[0]!.waiting)), 50);
  return { max: () => max, stop: () => clearInterval(timer) };
}

async function untilWindowEnds(times: ReadonlyArray<number>, extraMs = 100): Promise<void> {
  await waitFor(() => times.length > 0, 10_000, 'a first handled message');
  const left = times[0]! + WINDOW_MS + extraMs - Date.now();
  if (left > 0) await sleep(left);
}

describe('consumer rate limit (RabbitMQ and in memory, measured at once)', () => {
  for (const kind of ['memory', 'rabbitmq'] as const) {
    it.concurrent(
      `${kind}: a subscription's rate over 10 s is within 10% of the limit; what leaves the broker ahead of its slot never exceeds the prefetch`,
      async () => {
        const Placed = defineEvent({ topic: fixture.topic(`rate-sub-${kind}`), type: 'placed', schema: z.object({ n: z.number() }) });
        const prefetch = 8;
        const { metro, ready } = busOn(kind, 'sub', { concurrency: 4, prefetch });
        const paced = metro.subscription('paced', { rateLimit: { messages: RATE, per: '1s' }, concurrency: 4, prefetch });
        fixture.queues(paced.queue);
        const handled: number[] = [];
        paced.on(Placed, () => {
          handled.push(Date.now());
        });
        await metro.start();
        let published = 0;
        await Promise.all(Array.from({ length: BACKLOG }, (_, n) => metro.publish(Placed, { n }).then(() => published++)));

        // Left the queue but not handled yet (read the count after the broker's answer, so it is a floor
        // of what the process holds): messages waiting for their slot, never more than the prefetch.
        let maxAhead = 0;
        const deadline = Date.now() + 3000;
        while (Date.now() < deadline) {
          const left = published - (await ready(paced.queue));
          maxAhead = Math.max(maxAhead, left - handled.length);
          await sleep(200);
        }
        await untilWindowEnds(handled);
        expectWithinTenPercent(handled);
        expect(maxAhead).toBeGreaterThan(0);
        expect(maxAhead).toBeLessThanOrEqual(prefetch);
        const [stats] = metro.stats().rateLimits;
        expect(stats).toMatchObject({ queue: paced.queue, handler: undefined, deferred: 0 });
        expect(stats!.waiting).toBeLessThanOrEqual(prefetch);
        await metro.stop({ closeTransport: false });
        // Stop requeued what waited: nothing lost, nothing handled twice.
        expect(published - handled.length).toBe(await ready(paced.queue));
        await metro.transport.close();
      },
    );

    it.concurrent(`${kind}: a handler's rate over 10 s is within 10% of the limit, and the other handler of its queue keeps its own pace`, async () => {
      const topic = fixture.topic(`rate-handler-${kind}`);
      const Placed = defineEvent({ topic, type: 'placed', schema: z.object({ n: z.number() }) });
      const Shipped = defineEvent({ topic, type: 'shipped', schema: z.object({ n: z.number() }) });
      const concurrency = 16;
      const { metro } = busOn(kind, 'handler', { concurrency, prefetch: 32 });
      const limited: number[] = [];
      const free: number[] = [];
      metro.on(Placed, () => void limited.push(Date.now()), { name: 'limited', rateLimit: { messages: RATE } });
      metro.on(Shipped, async () => {
        await sleep(5);
        free.push(Date.now());
      });
      await metro.start();
      const waiting = sampleWaiting(metro);
      const publishes: Array<Promise<unknown>> = [];
      let freeCount = 0;
      for (let n = 0; n < BACKLOG; n++) {
        publishes.push(metro.publish(Placed, { n }));
        if (n % 4 === 3) publishes.push(metro.publish(Shipped, { n }).then(() => freeCount++));
      }
      await Promise.all(publishes);
      const published = Date.now();
      try {
        // The free handler keeps up with what is published. Were it held behind the limited handler's
        // waits, its last message (behind ~250 of the limited one's) would run 12 s in.
        await waitFor(() => free.length === freeCount, 10_000, 'the free handler to finish');
        expect(free.at(-1)! - published).toBeLessThan(5000);
        expect(limited.length).toBeLessThan(BACKLOG / 2);
        await untilWindowEnds(limited);
      } finally {
        waiting.stop();
      }
      expectWithinTenPercent(limited);
      const [stats] = metro.stats().rateLimits;
      expect(stats).toMatchObject({ handler: 'limited' });
      expect(stats!.deferred).toBeGreaterThan(0);
      // In process, at most a quarter of the queue's concurrency waits for the limited handler.
      expect(waiting.max()).toBeLessThanOrEqual(concurrency / 4);
      await metro.stop();
    });

    it.concurrent(`${kind}: a batch handler's rate over 10 s is within 10% of the limit; its messages still come in batches`, async () => {
      const Placed = defineEvent({ topic: fixture.topic(`rate-batch-${kind}`), type: 'placed', schema: z.object({ n: z.number() }) });
      const { metro } = busOn(kind, 'batch', { concurrency: 16, prefetch: 32 });
      const handled: number[] = [];
      const sizes: number[] = [];
      metro.onBatch(
        Placed,
        (batch) => {
          sizes.push(batch.length);
          for (const _ of batch) handled.push(Date.now());
        },
        { name: 'bulk', maxSize: 8, maxWait: '200ms', rateLimit: { messages: RATE } },
      );
      await metro.start();
      const waiting = sampleWaiting(metro);
      await Promise.all(Array.from({ length: BACKLOG }, (_, n) => metro.publish(Placed, { n })));
      try {
        await untilWindowEnds(handled);
      } finally {
        waiting.stop();
      }
      expectWithinTenPercent(handled);
      // a batch fills at the limit's pace for up to maxWait: about 4 messages at 20 a second
      expect(Math.max(...sizes)).toBeGreaterThan(1);
      const [stats] = metro.stats().rateLimits;
      expect(stats).toMatchObject({ handler: 'bulk' });
      // most of the backlog went to the broker to wait for its slot, and came back into batches
      expect(stats!.deferred).toBeGreaterThan(BACKLOG / 2);
      expect(waiting.max()).toBeLessThanOrEqual(16 / 4);
      await metro.stop();
    });
  }
});

describe('rate-limit deferrals on RabbitMQ', () => {
  it.concurrent('a deferred copy runs only its handler, once, at its slot', async () => {
    const Placed = defineEvent({ topic: fixture.topic('rate-copy'), type: 'placed', schema: z.object({ n: z.number() }) });
    const metro = fixture.metro(fixture.service('rate-copy'), { concurrency: 1, logger: silentLogger });
    const slow: number[] = [];
    const other: number[] = [];
    metro.on(Placed, ({ n }) => void slow.push(n), { name: 'slow', rateLimit: { messages: 2, per: '1s', burst: 1 } });
    metro.on(Placed, ({ n }) => void other.push(n), { name: 'other' });
    await metro.start();
    const at = Date.now();
    for (let n = 0; n < 3; n++) await metro.publish(Placed, { n });
    await waitFor(() => slow.length === 3, 5000, 'three slow runs');
    // concurrency 1: no delivery may wait in process, so the 2nd and 3rd were deferred to 0.5 s and 1 s.
    expect(Date.now() - at).toBeGreaterThanOrEqual(950);
    expect(other).toEqual([0, 1, 2]);
    await sleep(300);
    expect(slow.sort()).toEqual([0, 1, 2]);
    expect(other).toHaveLength(3);
    expect(metro.stats().rateLimits[0]).toMatchObject({ handler: 'slow', admitted: 3, deferred: 2, waiting: 0 });
  });
});
