import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryDeferredStore, InMemoryFailureStore, InMemoryInbox, InMemoryOutbox, ValidationError, type NewFailure, silentLogger } from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { FlakyTransport, OrderPlaced, encode, waitUntil } from './helpers.js';

const failure = (over: Partial<NewFailure> = {}): NewFailure => ({
  messageId: 'm1',
  service: 's',
  queue: 'q',
  handler: 'h',
  reason: 'handler',
  type: 'placed',
  topic: 'orders',
  correlationId: null,
  envelope: null,
  body: encode('{}'),
  contentType: 'application/json',
  headers: {},
  error: { name: 'Error', message: 'Boom happened', code: 'X' },
  attempts: 2,
  ...over,
});

describe('InMemoryFailureStore', () => {
  it('dedupes by (messageId, queue, handler), lists newest first with filters and cursors, and moves through statuses', async () => {
    const store = new InMemoryFailureStore();
    const a = await store.record(failure());
    const again = await store.record(failure({ attempts: 3 }));
    expect(again.id).toBe(a.id);
    expect(again.attempts).toBe(5);
    await new Promise((r) => setTimeout(r, 2));
    for (let i = 0; i < 5; i++) {
      await store.record(failure({ messageId: `n${i}`, reason: i % 2 ? 'decode' : 'validation', type: i % 2 ? null : 'shipped' }));
      await new Promise((r) => setTimeout(r, 2));
    }
    const first = await store.list({ limit: 2 });
    expect(first.items.map((f) => f.messageId)).toEqual(['n4', 'n3']);
    const second = await store.list({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((f) => f.messageId)).toEqual(['n2', 'n1']);
    const third = await store.list({ limit: 2, cursor: second.nextCursor! });
    expect(third.items.map((f) => f.messageId)).toEqual(['n0', 'm1']);
    expect(third.nextCursor).toBeNull();
    expect((await store.list({ reason: 'decode' })).items).toHaveLength(2);
    expect((await store.list({ text: 'boom' })).items).toHaveLength(6);
    expect((await store.list({ text: 'N3' })).items.map((f) => f.messageId)).toEqual(['n3']);
    expect((await store.list({ type: 'shipped' })).items).toHaveLength(3);
    await store.record(failure({ messageId: 'e1', error: { name: 'TimeoutError', message: 'took too long' } }));
    expect((await store.list({ errorName: 'TimeoutError' })).items.map((f) => f.messageId)).toEqual(['e1']);
    expect((await store.list({ errorName: 'timeouterror' })).items).toEqual([]);
    expect((await store.list({ errorName: 'Error' })).items).toHaveLength(6);

    const claimed = await Promise.all([store.claimRetry(a.id), store.claimRetry(a.id)]);
    expect(claimed.filter(Boolean)).toHaveLength(1);
    expect((await store.get(a.id))?.status).toBe('retried');
    await store.releaseRetry(a.id);
    expect(await store.get(a.id)).toMatchObject({ status: 'failed', retryCount: 0 });
    await store.claimRetry(a.id);
    await store.resolve(a.id);
    expect(await store.get(a.id)).toMatchObject({ status: 'resolved', retryCount: 1 });
    expect(await store.delete(a.id)).toBe(true);
    expect(await store.delete(a.id)).toBe(false);
    expect((await store.list()).items.map((f) => f.id)).not.toContain(a.id);
    expect((await store.list({ status: 'deleted' })).items.map((f) => f.id)).toEqual([a.id]);
    expect(await store.claimRetry('nope')).toBeUndefined();
  });
});

describe('InMemoryDeferredStore', () => {
  it('numbers records, lists oldest first with cursors, takes atomically and restores', async () => {
    const store = new InMemoryDeferredStore();
    const base = {
      messageId: 'm',
      service: 's',
      queue: 'q',
      handler: 'h',
      reason: null,
      correlationId: null,
      envelope: {} as never,
      body: encode('{}'),
      contentType: 'x',
      headers: {},
    };
    for (let i = 0; i < 3; i++) await store.defer({ ...base, type: i === 1 ? 'b' : 'a' });
    const page = await store.list({ limit: 2 });
    expect(page.items.map((r) => r.seq)).toEqual([1, 2]);
    expect((await store.list({ cursor: page.nextCursor! })).items.map((r) => r.seq)).toEqual([3]);
    expect((await store.list({ type: 'b' })).items.map((r) => r.seq)).toEqual([2]);
    const [x, y] = await Promise.all([store.take(2), store.take(2)]);
    expect([x, y].filter(Boolean)).toHaveLength(1);
    await store.restore(x ?? y!);
    expect((await store.get(2))?.seq).toBe(2);
  });
});

describe('InMemoryInbox', () => {
  it('runs work once per key, lets a failed run be retried, and makes a concurrent duplicate wait', async () => {
    const inbox = new InMemoryInbox();
    const key = { consumer: 'svc:h', messageId: 'm1' };
    await expect(
      inbox.run(key, async () => {
        throw new Error('first fails');
      }),
    ).rejects.toThrow('first fails');
    let runs = 0;
    const [r1, r2] = await Promise.all([
      inbox.run(key, async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 10));
        return 'done';
      }),
      inbox.run(key, async () => {
        runs++;
        return 'twice';
      }),
    ]);
    expect(runs).toBe(1);
    expect(r1).toEqual({ duplicate: false, result: 'done' });
    expect(r2).toEqual({ duplicate: true });
  });

  describe('inbox handlers on the bus', () => {
    let metro: TestMetro;
    afterEach(async () => {
      await metro.stop();
    });
    it('a redelivered message id runs an inbox handler once', async () => {
      metro = createTestMetro({ service: 'inbox-bus' });
      let runs = 0;
      metro.on(OrderPlaced, () => void runs++, { inbox: true });
      await metro.start();
      await metro.publish(OrderPlaced, { orderId: '1' }, { id: 'fixed-id' });
      await metro.publish(OrderPlaced, { orderId: '1' }, { id: 'fixed-id' });
      await metro.drain();
      expect(runs).toBe(1);
    });
  });
});

describe('InMemoryOutbox', () => {
  let metro: TestMetro;
  afterEach(async () => {
    await metro.stop();
  });

  it('holds rows until the memory transaction commits, drops them on rollback, retries failed publishes in order', async () => {
    metro = createTestMetro({ service: 'outbox-consumer' });
    const got: string[] = [];
    metro.on(OrderPlaced, (p) => void got.push(p.orderId));
    await metro.start();
    const transport = new FlakyTransport(metro.transport);
    const outbox = new InMemoryOutbox({ logger: silentLogger, transport, service: 'orders', retryDelayMs: 20 });
    await outbox.transaction(async (trx) => {
      await outbox.publish(trx, OrderPlaced, { orderId: '1' });
      await outbox.publish(trx, OrderPlaced, { orderId: '2' });
      await metro.drain();
      expect(got).toEqual([]); // not before commit
    });
    await metro.drain();
    expect(got).toEqual(['1', '2']);
    await expect(
      outbox.transaction(async (trx) => {
        await outbox.publish(trx, OrderPlaced, { orderId: 'rolled-back' });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    await expect(outbox.transaction((trx) => outbox.publish(trx, OrderPlaced, { orderId: 3 as unknown as string }))).rejects.toBeInstanceOf(ValidationError);
    transport.failPublishes = true;
    await outbox.transaction(async (trx) => {
      await outbox.publish(trx, OrderPlaced, { orderId: '4' });
      await outbox.publish(trx, OrderPlaced, { orderId: '5' });
    });
    expect(outbox.pendingCount).toBe(2);
    transport.failPublishes = false;
    await waitUntil(() => outbox.pendingCount === 0);
    await metro.drain();
    expect(got).toEqual(['1', '2', '4', '5']);
    await outbox.close();
  });
});
