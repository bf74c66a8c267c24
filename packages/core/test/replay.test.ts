import { afterEach, describe, expect, it } from 'vitest';
import { createMetro, InMemoryDeferredStore, InMemoryFailureStore, InMemoryTransport, ValidationError, silentLogger } from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { FlakyTransport, OrderPlaced } from './helpers.js';

describe('operator retries of failures', () => {
  let metro: TestMetro;
  afterEach(async () => {
    await metro.stop();
  });

  it('retryFailure replays into the same queue, runs only the failed handler, and resolves on success', async () => {
    metro = createTestMetro({ service: 'replay-a', retry: { attempts: 1 } });
    let broken = true;
    let okRuns = 0;
    const fixedRuns: string[] = [];
    metro.on(OrderPlaced, () => void okRuns++, { name: 'ok' });
    metro.on(
      OrderPlaced,
      (p) => {
        if (broken) throw new Error('bug');
        fixedRuns.push(p.orderId);
      },
      { name: 'fragile' },
    );
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '9' });
    await metro.drain();
    const [failure] = (await metro.failures.list()).items;
    expect(failure).toMatchObject({ handler: 'fragile', status: 'failed' });
    broken = false;
    expect(await metro.retryFailure(failure!.id)).toBe(true);
    expect(await metro.retryFailure(failure!.id)).toBe(false); // claimed once
    await metro.drain();
    expect(okRuns).toBe(1);
    expect(fixedRuns).toEqual(['9']);
    const after = await metro.failures.get(failure!.id);
    expect(after).toMatchObject({ status: 'resolved', retryCount: 1 });
  });

  it('a failure for a handler since renamed replays to that handler only once it is back, never to the handlers that already ran', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const failures = new InMemoryFailureStore();
    const runs: string[] = [];
    const deploy = (fragileName: string, broken: boolean): TestMetro => {
      const m = createTestMetro({ service: 'replay-renamed', retry: { attempts: 1 }, transport, failures, closeTransport: false });
      m.on(OrderPlaced, () => void runs.push('ok'), { name: 'ok' });
      m.on(
        OrderPlaced,
        () => {
          if (broken) throw new Error('bug');
          runs.push(fragileName);
        },
        { name: fragileName },
      );
      return m;
    };
    metro = deploy('fragile', true);
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    const [failure] = (await metro.failures.list()).items;
    await metro.stop();
    // A release renamed the handler: the replay finds no handler of that name and is recorded again, as no-handler.
    metro = deploy('renamed', false);
    await metro.start();
    await metro.retryFailure(failure!.id);
    await metro.drain();
    expect(await failures.get(failure!.id)).toMatchObject({ status: 'failed', reason: 'no-handler', handler: 'fragile' });
    await metro.stop();
    // The handler is back under its name: the replay runs it, and only it.
    metro = deploy('fragile', false);
    await metro.start();
    expect(await metro.retryFailure(failure!.id)).toBe(true);
    await metro.drain();
    expect(runs).toEqual(['ok', 'fragile']);
    expect(await failures.get(failure!.id)).toMatchObject({ status: 'resolved' });
  });

  it('a replay that fails again returns the record to failed (same record, attempts added)', async () => {
    metro = createTestMetro({ service: 'replay-b', retry: { attempts: 1 } });
    metro.on(
      OrderPlaced,
      () => {
        throw new Error('still broken');
      },
      { name: 'h' },
    );
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    const [failure] = (await metro.failures.list()).items;
    await metro.retryFailure(failure!.id);
    await metro.drain();
    const { items } = await metro.failures.list();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: failure!.id, status: 'failed', attempts: 2, retryCount: 1 });
  });

  it('retryFailure with a new payload validates it against the handler schema and re-encodes the envelope', async () => {
    metro = createTestMetro({ service: 'replay-c', retry: { attempts: 1 } });
    const seen: string[] = [];
    metro.on(
      OrderPlaced,
      (p) => {
        if (p.orderId === 'bad') throw new Error('cannot ship "bad"');
        seen.push(p.orderId);
      },
      { name: 'ship' },
    );
    await metro.start();
    const env = await metro.publish(OrderPlaced, { orderId: 'bad' });
    await metro.drain();
    const [failure] = (await metro.failures.list()).items;
    await expect(metro.retryFailure(failure!.id, { payload: { orderId: 5 } })).rejects.toBeInstanceOf(ValidationError);
    expect((await metro.failures.get(failure!.id))?.status).toBe('failed'); // released
    expect(await metro.retryFailure(failure!.id, { payload: { orderId: 'good' } })).toBe(true);
    await metro.drain();
    expect(seen).toEqual(['good']);
    expect((await metro.failures.get(failure!.id))?.status).toBe('resolved');
    expect(env.id).toBe(failure!.messageId);
  });

  it('a replay whose publish fails releases the claim and rethrows', async () => {
    const transport = new FlakyTransport();
    const m = createMetro({ service: 'replay-d', logger: silentLogger, transport, retry: { attempts: 1 } });
    m.on(OrderPlaced, () => {
      throw new Error('x');
    });
    await m.start();
    await m.publish(OrderPlaced, { orderId: '1' });
    await transport.inner.whenIdle();
    const [failure] = (await m.failures.list()).items;
    transport.failPublishes = true;
    await expect(m.retryFailure(failure!.id)).rejects.toMatchObject({ code: 'PUBLISH_FAILED' });
    expect((await m.failures.get(failure!.id))?.status).toBe('failed');
    transport.failPublishes = false;
    metro = createTestMetro({ service: 'unused' });
    await m.stop();
  });
});

describe('ctx.defer()', () => {
  let metro: TestMetro;
  afterEach(async () => {
    await metro.stop();
  });

  it('stores the message with a sequence number and acks it; resume re-runs only that handler; complete discards', async () => {
    metro = createTestMetro({ service: 'defer-a' });
    const seqs: number[] = [];
    let other = 0;
    const resumed: Array<{ id: string; attempt: number }> = [];
    let stockArrived = false;
    metro.on(
      OrderPlaced,
      async (p, ctx) => {
        if (!stockArrived) {
          seqs.push(await ctx.defer('waiting for stock'));
          return;
        }
        resumed.push({ id: p.orderId, attempt: ctx.attempt });
      },
      { name: 'picker' },
    );
    metro.on(OrderPlaced, () => void other++, { name: 'other' });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: 'a' });
    await metro.publish(OrderPlaced, { orderId: 'b' });
    await metro.drain();
    expect(seqs).toEqual([1, 2]);
    expect(other).toBe(2);
    expect((await metro.failures.list()).items).toHaveLength(0);
    const listed = await metro.deferred.list();
    expect(listed.items.map((d) => [d.seq, d.reason, d.handler, d.queue])).toEqual([
      [1, 'waiting for stock', 'picker', 'defer-a'],
      [2, 'waiting for stock', 'picker', 'defer-a'],
    ]);
    stockArrived = true;
    expect(await metro.resumeDeferred(1)).toBe(true);
    expect(await metro.resumeDeferred(1)).toBe(false);
    await metro.drain();
    expect(resumed).toEqual([{ id: 'a', attempt: 1 }]);
    expect(other).toBe(2);
    expect(await metro.completeDeferred(2)).toBe(true);
    expect(await metro.completeDeferred(2)).toBe(false);
    expect((await metro.deferred.list()).items).toHaveLength(0);
  });

  it('a handler that throws after deferring is not a failure; a failed resume publish restores the record', async () => {
    const transport = new FlakyTransport();
    const deferred = new InMemoryDeferredStore();
    const m = createMetro({ service: 'defer-b', logger: silentLogger, transport, deferred });
    m.on(OrderPlaced, async (_p, ctx) => {
      await ctx.defer();
      throw new Error('after defer');
    });
    await m.start();
    await m.publish(OrderPlaced, { orderId: '1' });
    await transport.inner.whenIdle();
    expect((await m.failures.list()).items).toHaveLength(0);
    expect((await deferred.list()).items).toHaveLength(1);
    transport.failPublishes = true;
    await expect(m.resumeDeferred(1)).rejects.toMatchObject({ code: 'PUBLISH_FAILED' });
    expect(await deferred.get(1)).toBeDefined();
    transport.failPublishes = false;
    metro = createTestMetro({ service: 'unused2' });
    await m.stop();
  });
});
