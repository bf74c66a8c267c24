import { describe, expect, it } from 'vitest';
import { backoffDelay, resolveRetryPolicy, retryDelay } from '../src/index.js';

function draws(n: number, f: () => number): number[] {
  return Array.from({ length: n }, f);
}

describe('backoffDelay: the one backoff (retries, reconnects, relay, LISTEN)', () => {
  it('grows by factor from the initial delay and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, { initialMs: 100, maxMs: 5000 }))).toEqual([100, 200, 400, 800, 1600, 3200, 5000]);
    expect(backoffDelay(2, { initialMs: 100, maxMs: 10_000, factor: 3 })).toBe(900);
    expect(backoffDelay(-1, { initialMs: 100, maxMs: 5000 })).toBe(100);
    expect(backoffDelay(10_000, { initialMs: 100, maxMs: 5000 })).toBe(5000); // no Infinity, no NaN
  });

  it('equal jitter draws between half the delay and the delay', () => {
    const values = draws(2000, () => backoffDelay(3, { initialMs: 100, maxMs: 5000, jitter: 'equal' }));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(400);
    expect(Math.max(...values)).toBeLessThanOrEqual(800);
    expect(Math.min(...values)).toBeLessThan(450);
    expect(Math.max(...values)).toBeGreaterThan(750);
  });

  it('full jitter draws between half the initial delay and the delay', () => {
    const values = draws(2000, () => backoffDelay(9, { initialMs: 100, maxMs: 5000, jitter: 'full' }));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...values)).toBeLessThanOrEqual(5000);
    expect(Math.min(...values)).toBeLessThan(300);
    expect(Math.max(...values)).toBeGreaterThan(4700);
  });

  it("the retry policy's exponential backoff is equal jitter, as its TSDoc says", () => {
    const policy = resolveRetryPolicy({ attempts: 5, delay: '200ms', maxDelay: '1m' });
    const second = draws(1000, () => retryDelay(policy, 2));
    expect(Math.min(...second)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...second)).toBeLessThanOrEqual(400);
    expect(retryDelay(resolveRetryPolicy({ delay: '200ms', jitter: false }), 3)).toBe(800);
    expect(retryDelay(resolveRetryPolicy({ backoff: 'fixed', delay: '2s' }), 4)).toBe(2000);
  });
});
