import { afterEach, describe, expect, it } from 'vitest';
import {
  BatchItemsError,
  CLOUDEVENTS_JSON,
  ConfigurationError,
  createMetro,
  currentCorrelation,
  HandlerTimeoutError,
  InMemoryTransport,
  silentLogger,
  type BatchItem,
  type Inbox,
} from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { OrderPlaced, OrderShipped, waitUntil } from './helpers.js';

type Order = { orderId: string; total?: number | undefined };

describe('batch consume (metro.onBatch) on the in-memory transport', () => {
  const toStop: TestMetro[] = [];
  const metroFor = (service: string, options: Parameters<typeof createTestMetro>[0] extends infer O ? Partial<O> : never = {}): TestMetro => {
    const metro = createTestMetro({ service, ...options });
    toStop.push(metro);
    return metro;
  };
  afterEach(async () => {
    await Promise.all(toStop.splice(0).map((m) => m.stop()));
  });
  const publishAll = (metro: TestMetro, ids: ReadonlyArray<string>) => Promise.all(ids.map((orderId) => metro.publish(OrderPlaced, { orderId })));
  const range = (n: number, prefix = 'o'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  it('hands over batches of at most maxSize, full ones when messages are waiting, and acks every message once', async () => {
    const metro = metroFor('batch-size', { concurrency: 16 });
    const batches: string[][] = [];
    metro.onBatch(OrderPlaced, async (batch) => void batches.push(batch.map((item) => item.data.orderId)), { maxSize: 8, maxWait: '30ms' });
    await metro.start();
    await publishAll(metro, range(50));
    await metro.drain();
    const seen = batches.flat();
    expect(seen.sort()).toEqual(range(50).sort()); // each once
    expect(Math.max(...batches.map((b) => b.length))).toBe(8);
    expect(batches.filter((b) => b.length === 8).length).toBeGreaterThanOrEqual(4);
    expect((await metro.failures.list()).items).toHaveLength(0);
    expect(await metro.transport.inspectQueue('batch-size')).toMatchObject({ messages: 0 });
  });

  it('validates each message first: an invalid one is its own validation failure and never reaches a batch', async () => {
    const metro = metroFor('batch-invalid');
    const seen: string[] = [];
    metro.onBatch(OrderPlaced, (batch) => void seen.push(...batch.map((item) => item.data.orderId)), { name: 'typed', maxSize: 4, maxWait: '20ms' });
    await metro.start();
    const envelope = (id: string, data: unknown) =>
      new TextEncoder().encode(
        JSON.stringify({
          specversion: '1.0',
          id,
          source: 'test',
          type: 'placed',
          time: new Date().toISOString(),
          kind: 'event',
          topic: 'orders',
          subject: 'placed',
          data,
        }),
      );
    for (const [id, data] of [
      ['ok-1', { orderId: 'a' }],
      ['bad-1', { orderId: 42 }],
      ['ok-2', { orderId: 'b' }],
    ] as const) {
      await metro.transport.publish({
        destination: { kind: 'topic', topic: 'orders', subject: 'placed' },
        body: envelope(id, data),
        messageId: id,
        contentType: CLOUDEVENTS_JSON,
        headers: {},
      });
    }
    await metro.drain();
    expect(seen.sort()).toEqual(['a', 'b']);
    const { items } = await metro.failures.list();
    expect(items.map((f) => [f.reason, f.handler, f.messageId])).toEqual([['validation', 'typed', 'bad-1']]);
  });

  it('runs a partial batch once its first message waited maxWait', async () => {
    const metro = metroFor('batch-wait');
    const runs: Array<{ size: number; at: number }> = [];
    metro.onBatch(OrderPlaced, (batch) => void runs.push({ size: batch.length, at: Date.now() }), { maxSize: 10, maxWait: '80ms' });
    await metro.start();
    const publishedAt = Date.now();
    await publishAll(metro, range(3));
    await waitUntil(() => runs.length === 1);
    expect(runs[0]!.size).toBe(3);
    expect(runs[0]!.at - publishedAt).toBeGreaterThanOrEqual(75);
  });

  it('ctx.fail and BatchItemsError fail only the named messages: each is retried alone, then recorded as its own failure; the rest are acked once', async () => {
    const metro = metroFor('batch-items');
    const handled = new Map<string, number[]>();
    let fixed = false;
    metro.onBatch(
      OrderPlaced,
      (batch, ctx) => {
        const thrown: Array<{ item: BatchItem<Order>; error: Error }> = [];
        for (const item of batch) {
          handled.set(item.data.orderId, [...(handled.get(item.data.orderId) ?? []), item.attempt]);
          if (item.data.orderId.startsWith('bad') && !fixed) ctx.fail(item, new Error(`refused ${item.data.orderId}`));
          if (item.data.orderId.startsWith('worse')) thrown.push({ item, error: new Error(`thrown ${item.data.orderId}`) });
        }
        if (thrown.length > 0) throw new BatchItemsError(thrown);
      },
      { name: 'store-orders', maxSize: 10, maxWait: '20ms', retry: { attempts: 2, backoff: 'fixed', delay: '10ms' } },
    );
    await metro.start();
    await publishAll(metro, [...range(6, 'good'), 'bad-1', 'bad-2', 'worse-1']);
    await waitUntil(async () => (await metro.failures.list()).items.length === 3);
    await metro.drain();
    for (const id of range(6, 'good')) expect(handled.get(id)).toEqual([1]);
    for (const id of ['bad-1', 'bad-2', 'worse-1']) expect(handled.get(id)).toEqual([1, 2]);
    const failures = (await metro.failures.list()).items;
    expect(failures.map((f) => f.envelope?.data).sort((a, b) => String((a as Order).orderId).localeCompare((b as Order).orderId))).toEqual([
      { orderId: 'bad-1' },
      { orderId: 'bad-2' },
      { orderId: 'worse-1' },
    ]);
    for (const f of failures) expect(f).toMatchObject({ reason: 'handler', handler: 'store-orders', attempts: 2, queue: 'batch-items' });
    expect(failures.find((f) => (f.envelope?.data as Order).orderId === 'worse-1')!.error.message).toBe('thrown worse-1');

    // A failure replays into a later batch, to this handler, and is resolved when that batch succeeds.
    const bad1 = failures.find((f) => (f.envelope?.data as Order).orderId === 'bad-1')!;
    handled.clear();
    fixed = true;
    expect(await metro.retryFailure(bad1.id)).toBe(true);
    await waitUntil(async () => (await metro.failures.get(bad1.id))?.status === 'resolved');
    expect([...handled]).toEqual([['bad-1', [1]]]);
  });

  it('a plain throw fails the whole batch: every message is retried on its own and succeeds; none lost or doubled', async () => {
    const metro = metroFor('batch-throw');
    const attempts: Array<[string, number]> = [];
    let calls = 0;
    metro.onBatch(
      OrderPlaced,
      async (batch) => {
        if (calls++ === 0) throw new Error('database down');
        for (const item of batch) attempts.push([item.data.orderId, item.attempt]);
      },
      { maxSize: 5, maxWait: '20ms', retry: { attempts: 3, backoff: 'fixed', delay: '10ms' } },
    );
    await metro.start();
    await publishAll(metro, range(5));
    await waitUntil(() => attempts.length === 5);
    await metro.drain();
    expect(attempts.map(([id]) => id).sort()).toEqual(range(5));
    expect(attempts.every(([, attempt]) => attempt === 2)).toBe(true);
    expect((await metro.failures.list()).items).toHaveLength(0);
  });

  it('times out a batch: each message gets HandlerTimeoutError, and the signal is aborted', async () => {
    const metro = metroFor('batch-timeout');
    let aborted: unknown;
    metro.onBatch(
      OrderPlaced,
      (_batch, ctx) =>
        new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            resolve();
          }),
        ),
      { maxSize: 2, maxWait: '10ms', timeout: '40ms', retry: { attempts: 1 } },
    );
    await metro.start();
    await publishAll(metro, range(2));
    await waitUntil(async () => (await metro.failures.list()).items.length === 2);
    expect(aborted).toBeInstanceOf(HandlerTimeoutError);
    for (const f of (await metro.failures.list()).items) expect(f.error.code).toBe('HANDLER_TIMEOUT');
  });

  it('with inbox: true, one inbox run per batch: a message seen before is left out, a failed one is not recorded and runs again', async () => {
    const metro = metroFor('batch-inbox');
    const runs: Array<Array<[string, number]>> = [];
    metro.onBatch(
      OrderPlaced,
      (batch, ctx) => {
        runs.push(batch.map((item) => [item.data.orderId, item.attempt]));
        for (const item of batch) if (item.data.orderId === 'flaky' && item.attempt === 1) ctx.fail(item, new Error('not yet'));
      },
      { name: 'once', maxSize: 4, maxWait: '20ms', inbox: true, retry: { attempts: 2, backoff: 'fixed', delay: '10ms' } },
    );
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: 'a' }, { id: 'id-a' });
    await metro.publish(OrderPlaced, { orderId: 'flaky' }, { id: 'id-flaky' });
    await metro.drain();
    await metro.publish(OrderPlaced, { orderId: 'a' }, { id: 'id-a' }); // a redelivered duplicate
    await metro.publish(OrderPlaced, { orderId: 'b' }, { id: 'id-b' });
    await metro.drain();
    const seen = runs.flat();
    expect(seen.filter(([id]) => id === 'a')).toEqual([['a', 1]]);
    expect(seen.filter(([id]) => id === 'flaky')).toEqual([
      ['flaky', 1],
      ['flaky', 2],
    ]);
    expect(seen.filter(([id]) => id === 'b')).toEqual([['b', 1]]);
    for (const messageId of ['id-a', 'id-flaky', 'id-b']) expect(metro.inbox.has({ consumer: 'batch-inbox:once', messageId })).toBe(true);
    expect((await metro.failures.list()).items).toHaveLength(0);
  });

  it('stop() runs a partial batch at once (no wait for maxWait) and loses nothing', async () => {
    const metro = metroFor('batch-stop');
    const batches: number[] = [];
    metro.onBatch(OrderPlaced, async (batch) => void batches.push(batch.length), { maxSize: 10, maxWait: '10s' });
    await metro.start();
    await publishAll(metro, range(3));
    await waitUntil(async () => (await metro.transport.inspectQueue('batch-stop'))?.messages === 0); // the three wait in the batch
    expect(batches).toEqual([]);
    const started = Date.now();
    await metro.stop({ closeTransport: false });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(batches).toEqual([3]);
    expect(await metro.transport.inspectQueue('batch-stop')).toMatchObject({ messages: 0 }); // acked, none requeued
    await metro.transport.close();
  });

  it('runs outside any message correlation; each item context carries its own message ids', async () => {
    const metro = metroFor('batch-correlation');
    const outside: unknown[] = [];
    const caused: Array<{ causation: string | undefined; id: string }> = [];
    metro.onBatch(
      OrderPlaced,
      async (batch) => {
        outside.push(currentCorrelation());
        for (const item of batch) {
          const sent = await item.context.publish(OrderShipped, { orderId: item.data.orderId });
          caused.push({ causation: sent.causationid, id: item.messageId });
        }
      },
      { maxSize: 3, maxWait: '20ms' },
    );
    metro.on(OrderShipped, () => undefined);
    await metro.start();
    await publishAll(metro, range(3));
    await metro.drain();
    expect(outside).toEqual([undefined]);
    expect(caused).toHaveLength(3);
    for (const c of caused) expect(c.causation).toBe(c.id);
  });

  it('in sync mode a batch handler runs the message at once, as a batch of one', async () => {
    const metro = metroFor('batch-sync');
    const sizes: number[] = [];
    metro.onBatch(OrderPlaced, (batch) => void sizes.push(batch.length), { maxWait: '10s' });
    const started = Date.now();
    await metro.publish(OrderPlaced, { orderId: 's' }, { sync: true });
    expect(sizes).toEqual([1]);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses what could never work, with a ConfigurationError that says what to do', () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({ service: 'batch-config', transport, logger: silentLogger, concurrency: 8 });
    expect(() => metro.onBatch(OrderPlaced, () => undefined, { maxSize: 9 })).toThrow(
      /maxSize 9 exceeds .*concurrency 8, prefetch 16.*Raise concurrency and prefetch to at least 9/,
    );
    expect(() => metro.subscription('audit', { concurrency: 20, prefetch: 5 }).onBatch(OrderPlaced, () => undefined, { maxSize: 10 })).toThrow(
      /prefetch 5.*metro\.subscription/,
    );
    expect(() => metro.onBatch(OrderPlaced, () => undefined, { maxSize: 0 })).toThrow(ConfigurationError);
    expect(() => metro.onBatch(OrderPlaced, () => undefined, { inbox: true })).toThrow(/createMetro got no `inbox`/);
    const plainInbox: Inbox = { run: async (_key, work) => ({ duplicate: false, result: await work(undefined) }) };
    const withPlainInbox = createMetro({ service: 'batch-config-2', transport, logger: silentLogger, inbox: plainInbox });
    expect(() => withPlainInbox.onBatch(OrderPlaced, () => undefined, { inbox: true })).toThrow(/has no runBatch/);
    expect(() => metro.onBatch({ topic: 'orders', subject: 'placed' } as never, () => undefined)).toThrow(/takes an event definition/);
    // The default maxSize fits a small queue: 10, or less when the queue holds less.
    const small = createMetro({ service: 'batch-config-3', transport, logger: silentLogger, concurrency: 4 });
    expect(() => small.onBatch(OrderPlaced, () => undefined)).not.toThrow();
  });
});
