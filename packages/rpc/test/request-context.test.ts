import { describe, expect, it } from 'vitest';
import { silentLogger } from '@metro/core';
import { RequestContext } from '../src/server/request-context.js';

describe('RequestContext', () => {
  it('holds the request facts; deadline is a Date; signal is one signal that aborts at the deadline', async () => {
    const deadline = Date.now() + 80;
    const ctx = new RequestContext('orders.get', 'req-1', 'corr-1', 'billing', deadline, silentLogger);
    expect(ctx).toMatchObject({ procedure: 'orders.get', requestId: 'req-1', correlationId: 'corr-1', caller: 'billing', logger: silentLogger });
    expect(ctx.deadline).toBeInstanceOf(Date);
    expect(ctx.deadline.getTime()).toBe(deadline);
    expect({ ...ctx }.deadline).toEqual(ctx.deadline); // an own field: spreads and copies keep it
    const signal = ctx.signal;
    expect((Object.create(ctx) as RequestContext).signal).toBe(signal); // no #private: works on derived objects
    expect(ctx.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    expect(Date.now()).toBeGreaterThanOrEqual(deadline - 5);
  });

  it('a deadline already past gives a signal that aborts at once', async () => {
    const ctx = new RequestContext('p', 'r', 'c', 's', Date.now() - 1000, silentLogger);
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    expect(ctx.signal.aborted).toBe(true);
  });
});
