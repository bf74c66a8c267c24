import { afterEach, describe, expect, it } from 'vitest';
import {
  createMetro,
  InMemoryFailureStore,
  InMemoryTransport,
  resolveRetryPolicy,
  retryDelay,
  shouldRetry,
  type FailureStore,
  type Metro,
  silentLogger,
} from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { FlakyTransport, OrderPlaced, waitUntil } from './helpers.js';

class TransientError extends Error {}

describe('retry policy', () => {
  it('computes fixed and exponential (jittered, capped) delays and filters error classes', () => {
    const fixed = resolveRetryPolicy({ backoff: 'fixed', delay: '200ms', attempts: 4 });
    expect([1, 2, 3].map((a) => retryDelay(fixed, a))).toEqual([200, 200, 200]);
    const exp = resolveRetryPolicy({ delay: 100, maxDelay: 1000, jitter: false, attempts: 10 });
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelay(exp, a))).toEqual([100, 200, 400, 800, 1000, 1000]);
    const jittered = resolveRetryPolicy({ delay: 1000, maxDelay: 60_000 });
    for (let i = 0; i < 50; i++) {
      const d = retryDelay(jittered, 3);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
    const only = resolveRetryPolicy({ attempts: 3, on: [TransientError] });
    expect(shouldRetry(only, new TransientError('x'), 1)).toBe(true);
    expect(shouldRetry(only, new TypeError('x'), 1)).toBe(false);
    expect(shouldRetry(only, new TransientError('x'), 3)).toBe(false);
    expect(() => resolveRetryPolicy({ attempts: 0 })).toThrow(/attempts/);
    expect(resolveRetryPolicy(undefined)).toMatchObject({ attempts: 3, backoff: 'exponential', delayMs: 1000, maxDelayMs: 60_000 });
  });
});

describe('per-handler retries through the transport', () => {
  const toStop: Array<Metro<unknown> | TestMetro> = [];
  afterEach(async () => {
    await Promise.all(toStop.splice(0).map((m) => m.stop()));
  });

  it('retries only the failing handler with delayed redeliveries, then records the failure with its attempts', async () => {
    const metro = createTestMetro({ service: 'retry-a' });
    toStop.push(metro);
    let ok = 0;
    const attempts: number[] = [];
    const times: number[] = [];
    metro.on(OrderPlaced, () => void ok++, { name: 'ok' });
    metro.on(
      OrderPlaced,
      (_p, ctx) => {
        attempts.push(ctx.attempt);
        times.push(Date.now());
        throw new TransientError('flaky downstream');
      },
      { name: 'flaky', retry: { attempts: 3, backoff: 'fixed', delay: '40ms' } },
    );
    await metro.start();
    const env = await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    expect(ok).toBe(1); // the healthy handler ran once, not once per retry
    expect(attempts).toEqual([1, 2, 3]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(35);
    const { items } = await metro.failures.list();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ handler: 'flaky', reason: 'handler', attempts: 3, messageId: env.id, queue: 'retry-a', status: 'failed' });
    expect(items[0]!.error).toMatchObject({ name: 'Error', message: 'flaky downstream' });
    expect(items[0]!.error.stack).toContain('retry.test.ts');
  });

  it('a retry does not hold the consumer: other messages are handled meanwhile', async () => {
    const metro = createTestMetro({ service: 'retry-b', concurrency: 1 });
    toStop.push(metro);
    const handled: string[] = [];
    let failedOnce = false;
    metro.on(
      OrderPlaced,
      (p) => {
        if (p.orderId === 'slow' && !failedOnce) {
          failedOnce = true;
          throw new Error('first time fails');
        }
        handled.push(p.orderId);
      },
      { retry: { attempts: 2, backoff: 'fixed', delay: '300ms' } },
    );
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: 'slow' });
    for (let i = 0; i < 5; i++) await metro.publish(OrderPlaced, { orderId: String(i) });
    await waitUntil(() => handled.length === 5);
    expect(handled).toEqual(['0', '1', '2', '3', '4']);
    await metro.drain();
    expect(handled).toEqual(['0', '1', '2', '3', '4', 'slow']);
  });

  it('errors outside `on` fail at once; a handler succeeding on retry leaves no failure', async () => {
    const metro = createTestMetro({ service: 'retry-c' });
    toStop.push(metro);
    let calls = 0;
    let secondCalls = 0;
    metro.on(
      OrderPlaced,
      () => {
        calls++;
        throw new TypeError('a bug');
      },
      { name: 'bug', retry: { attempts: 5, on: [TransientError] } },
    );
    metro.on(
      OrderPlaced,
      (_p, ctx) => {
        secondCalls++;
        if (ctx.attempt === 1) throw new TransientError('once');
      },
      { name: 'recovers', retry: { attempts: 5, on: [TransientError], delay: '5ms' } },
    );
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    expect(calls).toBe(1);
    expect(secondCalls).toBe(2);
    const { items } = await metro.failures.list();
    expect(items.map((f) => [f.handler, f.attempts])).toEqual([['bug', 1]]);
  });

  it('when the broker refuses the retry publish, the delivery is requeued (not acked, nothing lost)', async () => {
    const transport = new FlakyTransport();
    const metro = createMetro({ service: 'retry-d', logger: silentLogger, transport, retry: { attempts: 2, delay: '5ms' }, requeueDelay: '20ms' });
    toStop.push(metro);
    let calls = 0;
    metro.on(OrderPlaced, () => {
      calls++;
      if (calls <= 3) throw new Error('fails while broker is down');
    });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    transport.failPublishes = true;
    await waitUntil(() => calls >= 3);
    expect((await metro.failures.list()).items).toHaveLength(0);
    transport.failPublishes = false;
    await waitUntil(() => calls >= 4);
    await transport.inner.whenIdle();
    expect(calls).toBe(4);
    expect((await metro.failures.list()).items).toHaveLength(0);
  });

  it('when the failure store is down, the delivery is requeued until the failure is durably recorded', async () => {
    const real = new InMemoryFailureStore();
    let down = true;
    let writes = 0;
    const failures: FailureStore = {
      record: async (f) => {
        writes++;
        if (down) throw new Error('database unavailable');
        return real.record(f);
      },
      get: (id) => real.get(id),
      list: (q) => real.list(q),
      claimRetry: (id) => real.claimRetry(id),
      releaseRetry: (id) => real.releaseRetry(id),
      resolve: (id) => real.resolve(id),
      delete: (id) => real.delete(id),
      restore: (id) => real.restore(id),
    };
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({ service: 'retry-e', logger: silentLogger, transport, failures, retry: { attempts: 1 }, requeueDelay: '10ms' });
    toStop.push(metro);
    metro.on(OrderPlaced, () => {
      throw new Error('always');
    });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await waitUntil(() => writes >= 3);
    expect((await real.list()).items).toHaveLength(0);
    down = false;
    await transport.whenIdle();
    const { items } = await real.list();
    expect(items).toHaveLength(1);
    expect(items[0]!.reason).toBe('handler');
  });
});
