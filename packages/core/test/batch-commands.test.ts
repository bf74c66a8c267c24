import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, defineCommand } from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { OrderPlaced, SendSms, waitUntil } from './helpers.js';

// metro.handleBatch: a command's one handler taking its messages in batches, on the service queue.
const ImportRow = defineCommand({ service: 'importer', type: 'import-row', schema: z.object({ row: z.string() }) });
const range = (n: number, prefix = 'r'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('batch commands (metro.handleBatch) on the in-memory transport', () => {
  const toStop: TestMetro[] = [];
  const importer = (options: { concurrency?: number } = {}): TestMetro => {
    const metro = createTestMetro({ service: 'importer', ...options });
    toStop.push(metro);
    return metro;
  };
  afterEach(async () => {
    await Promise.all(toStop.splice(0).map((m) => m.stop()));
  });

  it('hands sent commands over in batches of at most maxSize, each command once, and empties the service queue', async () => {
    const metro = importer({ concurrency: 16 });
    const batches: string[][] = [];
    metro.handleBatch(ImportRow, (batch) => void batches.push(batch.map((item) => item.data.row)), { maxSize: 8, maxWait: '30ms' });
    await metro.start();
    await Promise.all(range(30).map((row) => metro.send(ImportRow, { row })));
    await metro.drain();
    expect(batches.flat().sort()).toEqual(range(30).sort());
    expect(Math.max(...batches.map((b) => b.length))).toBe(8);
    expect(batches.length).toBeLessThan(30);
    expect((await metro.failures.list()).items).toHaveLength(0);
    expect(await metro.transport.inspectQueue('importer')).toMatchObject({ messages: 0 });
  });

  it('retries a command the handler fails alone, records it under the handler once its attempts run out, and replays it into a later batch', async () => {
    const metro = importer();
    const handled = new Map<string, number[]>();
    let fixed = false;
    metro.handleBatch(
      ImportRow,
      (batch, ctx) => {
        for (const item of batch) {
          handled.set(item.data.row, [...(handled.get(item.data.row) ?? []), item.attempt]);
          if (item.data.row === 'bad' && !fixed) ctx.fail(item, new Error('row refused'));
        }
      },
      { name: 'import-rows', maxSize: 10, maxWait: '20ms', retry: { attempts: 2, backoff: 'fixed', delay: '10ms' } },
    );
    await metro.start();
    await Promise.all([...range(5), 'bad'].map((row) => metro.send(ImportRow, { row })));
    await waitUntil(async () => (await metro.failures.list()).items.length === 1);
    await metro.drain();
    for (const row of range(5)) expect(handled.get(row)).toEqual([1]);
    expect(handled.get('bad')).toEqual([1, 2]);
    const [failure] = (await metro.failures.list()).items;
    expect(failure).toMatchObject({ reason: 'handler', handler: 'import-rows', attempts: 2, queue: 'importer', error: { message: 'row refused' } });

    handled.clear();
    fixed = true;
    expect(await metro.retryFailure(failure!.id)).toBe(true);
    await waitUntil(async () => (await metro.failures.get(failure!.id))?.status === 'resolved');
    expect([...handled]).toEqual([['bad', [1]]]);
  });

  it('in sync mode runs a sent command at once, as a batch of one', async () => {
    const metro = importer();
    const batches: string[][] = [];
    metro.handleBatch(ImportRow, (batch) => void batches.push(batch.map((item) => item.data.row)), { maxSize: 10, maxWait: '30s' });
    await metro.start();
    await metro.send(ImportRow, { row: 'now' }, { sync: true });
    expect(batches).toEqual([['now']]);
  });

  it("with inbox: true runs one inbox transaction per batch under the handler's key: a command seen before is left out and acked", async () => {
    const metro = importer();
    const runs: string[][] = [];
    metro.handleBatch(ImportRow, (batch) => void runs.push(batch.map((item) => item.data.row)), { inbox: true, maxSize: 4, maxWait: '20ms' });
    await metro.start();
    await metro.send(ImportRow, { row: 'a' }, { id: 'id-a' });
    await metro.drain();
    await metro.send(ImportRow, { row: 'a' }, { id: 'id-a' }); // the same command again
    await metro.send(ImportRow, { row: 'b' }, { id: 'id-b' });
    await metro.drain();
    expect(runs.flat()).toEqual(['a', 'b']);
    expect(await metro.transport.inspectQueue('importer')).toMatchObject({ messages: 0 });
  });

  it('stop() runs a partial batch at once instead of waiting for maxWait', async () => {
    const metro = createTestMetro({ service: 'importer' });
    const batches: string[][] = [];
    metro.handleBatch(ImportRow, (batch) => void batches.push(batch.map((item) => item.data.row)), { maxSize: 10, maxWait: '30s' });
    await metro.start();
    await metro.send(ImportRow, { row: 'last' });
    await waitUntil(async () => (await metro.transport.inspectQueue('importer'))?.messages === 0);
    expect(batches).toEqual([]);
    const started = Date.now();
    await metro.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(batches).toEqual([['last']]);
  });

  it('keeps a command to one handler and to its own service, and points each definition kind to its method', () => {
    const metro = importer();
    metro.handleBatch(ImportRow, () => undefined);
    expect(() => metro.handle(ImportRow, () => undefined)).toThrow(/already has a handler/);
    const other = importer();
    other.handle(ImportRow, () => undefined);
    expect(() => other.handleBatch(ImportRow, () => undefined)).toThrow(/already has a handler/);
    expect(() => metro.handleBatch(SendSms, () => undefined)).toThrow(/belongs to service "sms", not "importer"/);
    expect(() => metro.handleBatch(OrderPlaced as never, () => undefined)).toThrow(/use metro\.onBatch\(\) for event/);
    expect(() => metro.onBatch(ImportRow as never, () => undefined)).toThrow(ConfigurationError);
    expect(() => metro.onBatch(ImportRow as never, () => undefined)).toThrow(/use metro\.handleBatch\(\)/);
  });
});
