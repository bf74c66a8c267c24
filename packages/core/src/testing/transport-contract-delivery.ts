import { randomBytes } from 'node:crypto';
import { describe, expect } from 'vitest';
import type { Delivery } from '../transport.js';
import { contractTest, message, sleep, text, waitFor, type ContractContext } from './transport-contract-kit.js';

/** Delivery: consumers, settlement, concurrency, delays, priorities, expiry, properties, bytes. */
export function registerDeliveryContract(ctx: ContractContext): void {
  describe('delivery', () => {
    registerSettlementContract(ctx);
    registerSchedulingContract(ctx);
    registerPropertiesContract(ctx);
  });
}

/** Consumers and settlement: competing consumers, ack, requeue, reject, concurrency. */
function registerSettlementContract(ctx: ContractContext): void {
  contractTest(ctx, 'competing consumers on one queue share the messages without duplicates', async (f) => {
    const q = f.queue('compete');
    await f.transport.declareQueue({ queue: q });
    const seen = new Map<string, number>();
    const per = { a: 0, b: 0 };
    const handler = (who: 'a' | 'b') => async (d: Delivery) => {
      per[who]++;
      seen.set(d.messageId, (seen.get(d.messageId) ?? 0) + 1);
      await sleep(5);
      await d.ack();
    };
    const a = await f.collect(q, { concurrency: 2 }, handler('a'));
    const b = await f.collect(q, { concurrency: 2 }, handler('b'));
    const total = 40;
    await Promise.all(Array.from({ length: total }, (_, i) => f.transport.publish(message({ kind: 'queue', queue: q }, `n${i}`))));
    await waitFor(() => a.deliveries.length + b.deliveries.length >= total, f.ms(10_000), `${total} deliveries`);
    await sleep(f.ms(150));
    expect(a.deliveries.length + b.deliveries.length).toBe(total);
    expect(seen.size).toBe(total);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(per.a).toBeGreaterThan(0);
    expect(per.b).toBeGreaterThan(0);
  });

  contractTest(ctx, 'ack removes the message from the queue', async (f) => {
    const q = f.queue('ack');
    await f.transport.declareQueue({ queue: q });
    const first = await f.collect(q);
    await f.transport.publish(message({ kind: 'queue', queue: q }));
    await first.count(1);
    await first.consumer.cancel();
    await waitFor(async () => (await f.transport.inspectQueue(q))?.messages === 0, f.ms(3000), 'an empty queue');
    const second = await f.collect(q);
    await sleep(f.ms(200));
    expect(second.deliveries).toHaveLength(0);
  });

  contractTest(ctx, 'requeue redelivers the message with redelivered = true', async (f) => {
    const q = f.queue('requeue');
    await f.transport.declareQueue({ queue: q });
    const c = await f.collect(q, {}, async (d) => (d.redelivered ? d.ack() : d.requeue()));
    const m = message({ kind: 'queue', queue: q });
    await f.transport.publish(m);
    await c.count(2);
    await sleep(f.ms(150));
    expect(c.deliveries.map((d) => d.redelivered)).toEqual([false, true]);
    expect(c.deliveries.map((d) => d.messageId)).toEqual([m.messageId, m.messageId]);
  });

  contractTest(ctx, 'reject drops the message', async (f) => {
    const q = f.queue('reject');
    await f.transport.declareQueue({ queue: q });
    const c = await f.collect(q, {}, (d) => d.reject());
    await f.transport.publish(message({ kind: 'queue', queue: q }));
    await c.count(1);
    await sleep(f.ms(200));
    await c.consumer.cancel();
    expect(c.deliveries).toHaveLength(1);
    expect((await f.transport.inspectQueue(q))?.messages).toBe(0);
  });

  contractTest(ctx, 'a handler that throws without settling gets the message redelivered', async (f) => {
    const q = f.queue('throws');
    await f.transport.declareQueue({ queue: q });
    const c = await f.collect(q, {}, async (d) => {
      if (!d.redelivered) throw new Error('handler failed');
      await d.ack();
    });
    await f.transport.publish(message({ kind: 'queue', queue: q }, 'again'));
    await c.count(2);
    expect(c.deliveries[1]!.redelivered).toBe(true);
    expect(text(c.deliveries[1]!.body)).toBe('again');
  });

  contractTest(ctx, 'settling a delivery twice is ignored and the consumer keeps working', async (f) => {
    const q = f.queue('twice');
    await f.transport.declareQueue({ queue: q });
    const errors: unknown[] = [];
    const c = await f.collect(q, {}, async (d) => {
      await d.ack();
      await d.ack().catch((e: unknown) => errors.push(e));
      await d.requeue().catch((e: unknown) => errors.push(e));
      await d.reject().catch((e: unknown) => errors.push(e));
    });
    await f.transport.publish(message({ kind: 'queue', queue: q }, 'one'));
    await c.count(1);
    await f.transport.publish(message({ kind: 'queue', queue: q }, 'two'));
    await c.count(2);
    await sleep(f.ms(150));
    expect(errors).toEqual([]);
    expect(c.deliveries.map((d) => text(d.body))).toEqual(['one', 'two']);
  });

  contractTest(ctx, 'at most `concurrency` onDelivery calls run at once', async (f) => {
    const q = f.queue('concurrency');
    await f.transport.declareQueue({ queue: q });
    let inFlight = 0;
    let max = 0;
    const c = await f.collect(q, { concurrency: 3 }, async (d) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await sleep(40);
      inFlight--;
      await d.ack();
    });
    await Promise.all(Array.from({ length: 12 }, () => f.transport.publish(message({ kind: 'queue', queue: q }))));
    await c.count(12);
    expect(max).toBeLessThanOrEqual(3);
    expect(max).toBeGreaterThanOrEqual(2);
  });
}

/** Delays, priorities and expiry. */
function registerSchedulingContract(ctx: ContractContext): void {
  contractTest(ctx, 'a delayed message arrives no sooner than delayMs, and does not hold up others', async (f) => {
    const q = f.queue('delay');
    await f.transport.declareQueue({ queue: q });
    const arrived = new Map<string, number>();
    const c = await f.collect(q, {}, async (d) => {
      arrived.set(text(d.body), Date.now());
      await d.ack();
    });
    const delayMs = 400;
    const sentAt = Date.now();
    await f.transport.publish(message({ kind: 'queue', queue: q }, 'later', { delayMs }));
    await f.transport.publish(message({ kind: 'queue', queue: q }, 'now'));
    await c.count(2);
    expect(c.deliveries.map((d) => text(d.body))).toEqual(['now', 'later']);
    const elapsed = arrived.get('later')! - sentAt;
    expect(elapsed).toBeGreaterThanOrEqual(delayMs - 5);
    expect(elapsed).toBeLessThan(delayMs + f.ms(3000));
  });

  contractTest(ctx, 'a queue with maxPriority delivers higher priorities first (FIFO within one)', async (f) => {
    const q = f.queue('priority');
    await f.transport.declareQueue({ queue: q, maxPriority: 10 });
    const order: Array<[string, number]> = [
      ['p1', 1],
      ['p5a', 5],
      ['p9', 9],
      ['p5b', 5],
      ['p7', 7],
    ];
    for (const [body, priority] of order) await f.transport.publish(message({ kind: 'queue', queue: q }, body, { priority }));
    await waitFor(async () => (await f.transport.inspectQueue(q))?.messages === order.length, f.ms(3000), '5 ready messages');
    const c = await f.collect(q, { concurrency: 1, prefetch: 1 });
    await c.count(order.length);
    expect(c.deliveries.map((d) => text(d.body))).toEqual(['p9', 'p7', 'p5a', 'p5b', 'p1']);
  });

  contractTest(ctx, 'a message not consumed within expiresInMs is dropped', async (f) => {
    const q = f.queue('expiry');
    await f.transport.declareQueue({ queue: q });
    await f.transport.publish(message({ kind: 'queue', queue: q }, 'stale', { expiresInMs: 100 }));
    await f.transport.publish(message({ kind: 'queue', queue: q }, 'fresh', { expiresInMs: 60_000 }));
    await sleep(300);
    const c = await f.collect(q);
    await c.count(1);
    await sleep(f.ms(200));
    expect(c.deliveries.map((d) => text(d.body))).toEqual(['fresh']);
  });
}

/** What a delivery carries (properties, exact bytes) and what inspectQueue reports. */
function registerPropertiesContract(ctx: ContractContext): void {
  contractTest(ctx, 'messageId, contentType, headers and timestamp round-trip', async (f) => {
    const q = f.queue('props');
    await f.transport.declareQueue({ queue: q });
    const c = await f.collect(q);
    const timestamp = Date.now() - 5000;
    const headers = { 'x-text': 'héllo', 'x-int': 42, 'x-neg': -7, 'x-true': true, 'x-false': false };
    const m = message({ kind: 'queue', queue: q }, '{}', { contentType: 'application/vnd.test+json', headers, timestamp });
    await f.transport.publish(m);
    const [d] = await c.count(1);
    expect(d!.messageId).toBe(m.messageId);
    expect(d!.contentType).toBe('application/vnd.test+json');
    expect(d!.headers).toMatchObject(headers);
    expect(d!.timestamp).toBeDefined();
    expect(Math.abs(d!.timestamp! - timestamp)).toBeLessThan(1000);
  });

  contractTest(ctx, 'body bytes arrive exactly (non-UTF-8, empty, large), unaffected by later mutation', async (f) => {
    const q = f.queue('bytes');
    await f.transport.declareQueue({ queue: q });
    const c = await f.collect(q);
    const bodies = [
      Uint8Array.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc, 0x80]),
      new Uint8Array(0),
      new Uint8Array(randomBytes(256 * 1024)),
    ];
    const expected = new Map<string, Buffer>();
    for (const body of bodies) {
      const m = message({ kind: 'queue', queue: q }, body);
      expected.set(m.messageId, Buffer.from(body));
      await f.transport.publish(m);
      body.fill(0x41); // the publisher reuses its buffer: the delivery must not see it
    }
    await c.count(bodies.length);
    for (const d of c.deliveries) expect(Buffer.from(d.body).equals(expected.get(d.messageId)!)).toBe(true);
  });

  contractTest(ctx, 'inspectQueue reports ready messages and consumers, undefined for no queue', async (f) => {
    const q = f.queue('inspect');
    await f.transport.declareQueue({ queue: q });
    expect(await f.transport.inspectQueue(q)).toEqual({ queue: q, messages: 0, consumers: 0 });
    for (let i = 0; i < 3; i++) await f.transport.publish(message({ kind: 'queue', queue: q }));
    await waitFor(async () => (await f.transport.inspectQueue(q))?.messages === 3, f.ms(3000), '3 ready messages');
    const held = await f.collect(q, { concurrency: 1, prefetch: 1 }, async () => {}); // holds one unsettled
    await held.count(1);
    await waitFor(
      async () => {
        const s = await f.transport.inspectQueue(q);
        return s?.consumers === 1 && s.messages === 2;
      },
      f.ms(3000),
      '1 consumer and 2 ready',
    );
    expect(await f.transport.inspectQueue(f.queue('never-declared'))).toBeUndefined();
  });
}
