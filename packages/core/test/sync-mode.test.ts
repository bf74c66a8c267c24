import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { currentCorrelation, defineCommand, defineEvent, NoHandlerError, ValidationError } from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { OrderPlaced, OrderShipped } from './helpers.js';

const Charge = defineCommand({ service: 'billing', type: 'charge', schema: z.object({ orderId: z.string() }) });
const Strict = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ orderId: z.string(), total: z.number() }) });

describe('sync mode: publish runs the local handlers in place and raises their errors', () => {
  let metros: TestMetro[] = [];
  afterEach(async () => {
    await Promise.all(metros.map((m) => m.stop()));
    metros = [];
  });
  const make = (options: Partial<Parameters<typeof createTestMetro>[0]> = {}): TestMetro => {
    const m = createTestMetro({ service: 'billing', ...options });
    metros.push(m);
    return m;
  };

  it('{ sync: true }: every matching handler of every queue ran, in priority order, before publish resolved; nothing reached the transport', async () => {
    const metro = make();
    const ran: string[] = [];
    metro.on(OrderPlaced, async (p) => {
      await new Promise((r) => setTimeout(r, 20));
      ran.push(`low:${p.orderId}`);
    });
    metro.on(OrderPlaced, (p) => void ran.push(`high:${p.orderId}`), { priority: 5 });
    metro.subscription('audit').on({ topic: 'orders', subject: '#' }, (_d, ctx) => void ran.push(`audit:${ctx.queue}`));
    metro.on(OrderShipped, () => void ran.push('shipped'));
    await metro.start();
    const envelope = await metro.publish(OrderPlaced, { orderId: '1' }, { sync: true });
    expect(ran).toEqual(['high:1', 'low:1', 'audit:billing.audit']);
    expect(envelope.type).toBe('placed');
    await metro.drain();
    expect(ran).toHaveLength(3); // nothing was delivered a second time through the broker
    expect((await metro.transport.inspectQueue('billing'))?.messages).toBe(0);
  });

  it("rejects with the handler's own error, stops at the first one, and records no failure", async () => {
    const metro = make();
    const ran: string[] = [];
    class OutOfStock extends Error {}
    metro.on(OrderPlaced, () => {
      ran.push('first');
      throw new OutOfStock('no stock for order 2');
    });
    metro.on(OrderPlaced, () => void ran.push('second'));
    await expect(metro.publish(OrderPlaced, { orderId: '2' }, { sync: true })).rejects.toBeInstanceOf(OutOfStock);
    expect(ran).toEqual(['first']);
    expect((await metro.failures.list()).items).toHaveLength(0);
  });

  it('works without start(); mode "sync" applies to every publish, send and ctx.publish (cascades run in place too)', async () => {
    const metro = make({ mode: 'sync' });
    const ran: string[] = [];
    metro.on(OrderPlaced, async (p, ctx) => {
      ran.push(`placed:${p.orderId}`);
      await ctx.send(Charge, { orderId: p.orderId });
    });
    metro.handle(Charge, (cmd, ctx) => {
      ran.push(`charge:${cmd.orderId}:${ctx.correlationId === currentCorrelation()?.correlationId}`);
    });
    const envelope = await metro.publish(OrderPlaced, { orderId: '3' });
    expect(ran).toEqual(['placed:3', 'charge:3:true']);
    expect(envelope.correlationid).toBe(envelope.id);
  });

  it('a command with no local handler is NoHandlerError; an event with none resolves; a payload its handler refuses is ValidationError', async () => {
    const metro = make({ mode: 'sync' });
    await expect(metro.send(Charge, { orderId: '4' })).rejects.toBeInstanceOf(NoHandlerError);
    await expect(metro.publish(OrderShipped, { orderId: '4' })).resolves.toMatchObject({ type: 'shipped' });
    const got: number[] = [];
    metro.on(Strict, (p) => void got.push(p.total));
    await expect(metro.publish(OrderPlaced, { orderId: '4' })).rejects.toBeInstanceOf(ValidationError);
    await expect(metro.publish(OrderPlaced, { orderId: '4', total: 12 })).resolves.toBeDefined();
    expect(got).toEqual([12]);
  });

  it('a handler that deferred its message is not failed by what it throws afterwards; the message is in the deferred store', async () => {
    const metro = make({ mode: 'sync' });
    metro.on(OrderPlaced, async (_p, ctx) => {
      await ctx.defer('waiting for stock');
      throw new Error('after defer');
    });
    await expect(metro.publish(OrderPlaced, { orderId: '6' })).resolves.toMatchObject({ type: 'placed' });
    const [deferred] = (await metro.deferred.list({})).items;
    expect(deferred).toMatchObject({ reason: 'waiting for stock', type: 'placed', queue: 'billing' });
  });

  it('{ sync: false } on a sync bus goes through the transport like any publish', async () => {
    const metro = make({ mode: 'sync' });
    const got: string[] = [];
    metro.on(OrderPlaced, (p) => void got.push(p.orderId));
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '5' }, { sync: false });
    expect(got).toEqual([]);
    await metro.drain();
    expect(got).toEqual(['5']);
  });
});
