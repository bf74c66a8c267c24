import { beforeEach, describe, expect, it } from 'vitest';
import type { FailureStore, NewFailure } from '@metro/core';

let counter = 0;

/** A failure to record; every call is a new message unless `messageId` is given. */
export function newFailure(overrides: Partial<NewFailure> = {}): NewFailure {
  counter++;
  const messageId = overrides.messageId ?? `msg-${counter}-${Math.random().toString(36).slice(2)}`;
  return {
    messageId,
    service: 'billing',
    queue: 'billing',
    handler: 'charge',
    reason: 'handler',
    type: 'placed',
    topic: 'orders',
    correlationId: 'corr-1',
    envelope: {
      specversion: '1.0',
      id: messageId,
      source: 'orders',
      type: 'placed',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { orderId: '1' },
      kind: 'event',
      topic: 'orders',
      subject: 'placed',
    },
    body: new TextEncoder().encode(`{"id":"${messageId}"}`),
    contentType: 'application/cloudevents+json',
    headers: { 'x-first': 'yes', n: 1 },
    error: { name: 'TypeError', message: 'Card declined by bank', stack: 'TypeError: Card declined\n    at charge' },
    attempts: 1,
    ...overrides,
  };
}

/**
 * The behaviour every FailureStore shares (the in-memory one is the reference). Each store
 * factory must give an empty store.
 */
export function failureStoreBehaviour(name: string, makeStore: () => Promise<FailureStore>): void {
  describe(`FailureStore behaviour: ${name}`, () => {
    let store: FailureStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('records a failure with its details', async () => {
      const input = newFailure();
      const record = await store.record(input);
      expect(record).toMatchObject({ ...input, status: 'failed', retryCount: 0, retriedAt: null, resolvedAt: null });
      expect(record.body).toEqual(input.body);
      expect(record.firstFailedAt.getTime()).toBe(record.lastFailedAt.getTime());
      expect(await store.get(record.id)).toEqual(record);
      expect(await store.get('no-such-id')).toBeUndefined();
    });

    it('keeps the trace id the message failed in (null without one); a later failure replaces it', async () => {
      const traced = await store.record(newFailure({ messageId: 'm-trace', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }));
      expect(traced.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect((await store.get(traced.id))?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      const again = await store.record(newFailure({ messageId: 'm-trace', traceId: '0af7651916cd43dd8448eb211c80319c' }));
      expect(again.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect((await store.record(newFailure({ messageId: 'm-untraced' }))).traceId).toBeNull();
    });

    it('upserts by (messageId, queue, handler): attempts add up, status back to failed', async () => {
      const first = await store.record(newFailure({ messageId: 'm-upsert', attempts: 3 }));
      expect((await store.claimRetry(first.id))?.status).toBe('retried');
      await new Promise((r) => setTimeout(r, 5));
      const again = await store.record(newFailure({ messageId: 'm-upsert', attempts: 2, error: { name: 'Error', message: 'second' } }));
      expect(again.id).toBe(first.id);
      expect(again.attempts).toBe(5);
      expect(again.status).toBe('failed');
      expect(again.retryCount).toBe(1);
      expect(again.error.message).toBe('second');
      expect(again.firstFailedAt.getTime()).toBe(first.firstFailedAt.getTime());
      expect(again.lastFailedAt.getTime()).toBeGreaterThan(first.lastFailedAt.getTime());
      const otherHandler = await store.record(newFailure({ messageId: 'm-upsert', handler: 'audit' }));
      const noHandler = await store.record(newFailure({ messageId: 'm-upsert', handler: null }));
      const otherQueue = await store.record(newFailure({ messageId: 'm-upsert', queue: 'other' }));
      expect(new Set([first.id, otherHandler.id, noHandler.id, otherQueue.id]).size).toBe(4);
    });

    it('lists newest first and filters', async () => {
      const pause = () => new Promise((r) => setTimeout(r, 3));
      const a = await store.record(newFailure({ type: 'placed', reason: 'handler' }));
      await pause();
      const b = await store.record(
        newFailure({
          type: 'cancelled',
          topic: 'orders',
          service: 'shipping',
          queue: 'shipping',
          error: { name: 'RangeError', code: 'OUT_OF_STOCK', message: 'no stock' },
        }),
      );
      await pause();
      const c = await store.record(newFailure({ type: null, topic: null, reason: 'decode', handler: null, envelope: null }));
      expect((await store.list()).items.map((r) => r.id)).toEqual([c.id, b.id, a.id]);
      expect((await store.list({ type: 'cancelled' })).items.map((r) => r.id)).toEqual([b.id]);
      expect((await store.list({ service: 'shipping' })).items.map((r) => r.id)).toEqual([b.id]);
      expect((await store.list({ queue: 'billing' })).items.map((r) => r.id)).toEqual([c.id, a.id]);
      expect((await store.list({ reason: 'decode' })).items.map((r) => r.id)).toEqual([c.id]);
      expect((await store.list({ topic: 'orders' })).items.map((r) => r.id)).toEqual([b.id, a.id]);
      // errorName: the recorded error class, exactly (not a substring, not case-insensitive).
      expect((await store.list({ errorName: 'RangeError' })).items.map((r) => r.id)).toEqual([b.id]);
      expect((await store.list({ errorName: 'TypeError' })).items.map((r) => r.id)).toEqual([c.id, a.id]);
      expect((await store.list({ errorName: 'TypeError', reason: 'handler' })).items.map((r) => r.id)).toEqual([a.id]);
      expect((await store.list({ errorName: 'typeerror' })).items).toEqual([]);
      expect((await store.list({ errorName: 'Type' })).items).toEqual([]);
      expect((await store.list({ errorName: 'OUT_OF_STOCK' })).items).toEqual([]);
      expect((await store.list({ text: 'out_of' })).items.map((r) => r.id)).toEqual([b.id]);
      expect((await store.list({ text: 'CARD DECLINED' })).items.map((r) => r.id)).toEqual([c.id, a.id]);
      expect((await store.list({ text: a.messageId })).items.map((r) => r.id)).toEqual([a.id]);
      expect((await store.list({ text: '100%_' })).items).toEqual([]);
      expect((await store.list({ from: b.lastFailedAt })).items.map((r) => r.id)).toEqual([c.id, b.id]);
      expect((await store.list({ to: b.lastFailedAt })).items.map((r) => r.id)).toEqual([a.id]);
      expect((await store.list({ status: 'retried' })).items).toEqual([]);
    });

    it('pages with a cursor, without gaps or repeats', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await store.record(newFailure())).id);
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ limit: 3, ...(cursor !== undefined ? { cursor } : {}) });
        seen.push(...page.items.map((r) => r.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
      const named: string[] = [];
      for (let i = 0; i < 5; i++) named.push((await store.record(newFailure({ error: { name: 'TimeoutError', message: 'slow' } }))).id);
      const first = await store.list({ errorName: 'TimeoutError', limit: 3 });
      expect(first.items.map((r) => r.id)).toEqual(named.slice(2).reverse());
      const rest = await store.list({ errorName: 'TimeoutError', limit: 3, cursor: first.nextCursor! });
      expect(rest.items.map((r) => r.id)).toEqual(named.slice(0, 2).reverse());
      expect(rest.nextCursor).toBeNull();
    });

    it('claims a retry once; release, resolve and delete follow the status rules', async () => {
      const r = await store.record(newFailure());
      const claims = await Promise.all([store.claimRetry(r.id), store.claimRetry(r.id)]);
      expect(claims.filter((c) => c !== undefined)).toHaveLength(1);
      expect(await store.get(r.id)).toMatchObject({ status: 'retried', retryCount: 1 });
      expect((await store.get(r.id))?.retriedAt).toBeInstanceOf(Date);
      await store.releaseRetry(r.id);
      expect(await store.get(r.id)).toMatchObject({ status: 'failed', retryCount: 0 });
      await store.resolve(r.id); // not retried: no change
      expect((await store.get(r.id))?.status).toBe('failed');
      await store.claimRetry(r.id);
      await store.resolve(r.id);
      const resolved = await store.get(r.id);
      expect(resolved?.status).toBe('resolved');
      expect(resolved?.resolvedAt).toBeInstanceOf(Date);
      expect(await store.claimRetry(r.id)).toBeUndefined();
      expect(await store.claimRetry('unknown')).toBeUndefined();
      expect(await store.delete(r.id)).toBe(true);
      expect(await store.delete(r.id)).toBe(false);
      expect(await store.delete('unknown')).toBe(false);
      expect((await store.list()).items.map((x) => x.id)).not.toContain(r.id);
      expect((await store.list({ status: 'deleted' })).items.map((x) => x.id)).toEqual([r.id]);
      expect((await store.list({ status: ['deleted', 'failed'] })).items.map((x) => x.id)).toContain(r.id);
      expect(await store.restore(r.id)).toBe(true);
      expect(await store.restore(r.id)).toBe(false);
      expect(await store.restore('unknown')).toBe(false);
      expect((await store.get(r.id))?.status).toBe('failed');
      expect((await store.list()).items.map((x) => x.id)).toContain(r.id);
    });
  });
}
