import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BatchItemsError, defineCommand, defineEvent, silentLogger, type BatchItem } from '@metro/core';
import { waitFor } from './support/broker.js';
import { BusFixture } from './support/bus-fixture.js';

// Batch consume (metro.onBatch) on RabbitMQ: the tests run concurrently, each on its own queue and topic.
const fixture = new BusFixture();
beforeAll(() => fixture.open());
afterAll(() => fixture.close());

const Order = z.object({ orderId: z.string() });
type Order = z.infer<typeof Order>;
const range = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe.concurrent('batch consume on RabbitMQ', () => {
  it('consumes 300 messages in batches of at most maxSize, full ones under load, each message acked once', async () => {
    const Placed = defineEvent({ topic: fixture.topic('batch-load'), type: 'placed', schema: Order });
    const name = fixture.service('batch-load');
    const metro = fixture.metro(name, { concurrency: 100, prefetch: 200, logger: silentLogger });
    const batches: string[][] = [];
    metro.onBatch(Placed, async (batch) => void batches.push(batch.map((item) => item.data.orderId)), { maxSize: 50, maxWait: '100ms' });
    await metro.start();
    const ids = range(300, 'o');
    await Promise.all(ids.map((orderId) => metro.publish(Placed, { orderId })));
    await waitFor(() => batches.flat().length >= 300, 15_000, '300 messages');
    await waitFor(async () => (await metro.transport.inspectQueue(name))?.messages === 0, 5000, 'an empty queue');
    expect(batches.flat().sort()).toEqual(ids.sort());
    expect(Math.max(...batches.map((b) => b.length))).toBe(50);
    expect(batches.filter((b) => b.length === 50).length).toBeGreaterThanOrEqual(2);
    expect((await metro.failures.list()).items).toHaveLength(0);
  });

  it('fails only the messages the handler names: each goes through the delay queue alone, then becomes its own failure record', async () => {
    const Placed = defineEvent({ topic: fixture.topic('batch-fail'), type: 'placed', schema: Order });
    const name = fixture.service('batch-fail');
    const metro = fixture.metro(name, { logger: silentLogger });
    const seen = new Map<string, number[]>();
    metro.onBatch(
      Placed,
      (batch, ctx) => {
        const thrown: Array<{ item: BatchItem<Order>; error: Error }> = [];
        for (const item of batch) {
          seen.set(item.data.orderId, [...(seen.get(item.data.orderId) ?? []), item.attempt]);
          if (item.data.orderId.startsWith('bad')) ctx.fail(item, new Error(`refused ${item.data.orderId}`));
          if (item.data.orderId.startsWith('worse')) thrown.push({ item, error: new Error(`thrown ${item.data.orderId}`) });
        }
        if (thrown.length > 0) throw new BatchItemsError(thrown);
      },
      { name: 'store', maxSize: 16, maxWait: '50ms', retry: { attempts: 2, backoff: 'fixed', delay: '200ms' } },
    );
    await metro.start();
    const good = range(12, 'good');
    await Promise.all([...good, 'bad-1', 'worse-1'].map((orderId) => metro.publish(Placed, { orderId })));
    await waitFor(async () => (await metro.failures.list()).items.length === 2, 15_000, '2 failure records');
    await waitFor(async () => (await metro.transport.inspectQueue(name))?.messages === 0, 5000, 'an empty queue');
    for (const id of good) expect(seen.get(id)).toEqual([1]);
    expect(seen.get('bad-1')).toEqual([1, 2]);
    expect(seen.get('worse-1')).toEqual([1, 2]);
    const failures = (await metro.failures.list()).items;
    expect(failures.map((f) => (f.envelope?.data as Order).orderId).sort()).toEqual(['bad-1', 'worse-1']);
    for (const f of failures) expect(f).toMatchObject({ reason: 'handler', handler: 'store', attempts: 2, queue: name });
  });

  it('stop() runs the partial batch at once and acks it; nothing is left in the queue', async () => {
    const Placed = defineEvent({ topic: fixture.topic('batch-stop'), type: 'placed', schema: Order });
    const name = fixture.service('batch-stop');
    const metro = fixture.metro(name, { logger: silentLogger });
    const batches: number[] = [];
    metro.onBatch(Placed, async (batch) => void batches.push(batch.length), { maxSize: 10, maxWait: '30s' });
    await metro.start();
    await Promise.all(range(4, 's').map((orderId) => metro.publish(Placed, { orderId })));
    await waitFor(async () => (await metro.transport.inspectQueue(name))?.messages === 0, 5000, 'all four delivered');
    expect(batches).toEqual([]);
    const started = Date.now();
    await metro.stop({ closeTransport: false });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(batches).toEqual([4]);
    await metro.transport.close();
    const ch = await fixture.broker.scratch();
    expect((await ch.checkQueue(name)).messageCount).toBe(0); // acked, not requeued
    await ch.close();
  });

  it('a batch still running at the stop timeout is aborted and its messages requeued: the next consumer gets them all', async () => {
    const Placed = defineEvent({ topic: fixture.topic('batch-abort'), type: 'placed', schema: Order });
    const name = fixture.service('batch-abort');
    const first = fixture.metro(name, { logger: silentLogger, stopTimeout: '200ms' });
    let aborted = false;
    let started = 0;
    first.onBatch(
      Placed,
      (batch, ctx) =>
        new Promise<void>((resolve) => {
          started += batch.length;
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            resolve();
          });
        }),
      { name: 'slow', maxSize: 5, maxWait: '20ms' },
    );
    await first.start();
    const ids = range(5, 'a');
    await Promise.all(ids.map((orderId) => first.publish(Placed, { orderId })));
    await waitFor(() => started === 5, 5000, 'the batch running');
    await first.stop();
    expect(aborted).toBe(true);
    const second = fixture.metro(name, { logger: silentLogger });
    const got: string[] = [];
    second.onBatch(Placed, (batch) => void got.push(...batch.map((item) => item.data.orderId)), { name: 'slow', maxSize: 5, maxWait: '20ms' });
    await second.start();
    await waitFor(() => got.length === 5, 10_000, 'the requeued messages');
    expect(got.sort()).toEqual(ids.sort());
    expect((await second.failures.list()).items).toHaveLength(0);
  });

  it('handleBatch: commands another service sends arrive in batches on the service queue; a refused one is retried alone through the delay queue and then handled', async () => {
    const name = fixture.service('batch-cmd');
    const ImportRow = defineCommand({ service: name, type: 'import-row', schema: z.object({ row: z.string() }) });
    const metro = fixture.metro(name, { concurrency: 50, prefetch: 100, logger: silentLogger });
    const batches: Array<Array<[string, number]>> = [];
    metro.handleBatch(
      ImportRow,
      (batch, ctx) => {
        batches.push(batch.map((item) => [item.data.row, item.attempt]));
        for (const item of batch) if (item.data.row === 'flaky' && item.attempt === 1) ctx.fail(item, new Error('not yet'));
      },
      { maxSize: 25, maxWait: '100ms', retry: { attempts: 3, backoff: 'fixed', delay: '200ms' } },
    );
    await metro.start();
    const sender = fixture.metro(fixture.service('batch-cmd-sender'), { logger: silentLogger });
    const rows = [...range(99, 'row'), 'flaky'];
    await Promise.all(rows.map((row) => sender.send(ImportRow, { row })));
    await waitFor(() => batches.flat().length >= 101, 15_000, '100 commands and one retry');
    await waitFor(async () => (await metro.transport.inspectQueue(name))?.messages === 0, 5000, 'an empty queue');
    const handled = batches.flat();
    expect(
      handled
        .filter(([row]) => row !== 'flaky')
        .map(([row]) => row)
        .sort(),
    ).toEqual(range(99, 'row').sort());
    expect(handled.filter(([row]) => row === 'flaky')).toEqual([
      ['flaky', 1],
      ['flaky', 2],
    ]);
    expect(Math.max(...batches.map((b) => b.length))).toBe(25);
    expect((await metro.failures.list()).items).toHaveLength(0);
  });
});
