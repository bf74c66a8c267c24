import { ValidationError } from '@metro/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineSaga, InvalidSagaDefinitionError, InvalidSagaKeyError, SagaNotFoundError } from '../src/index.js';
import { createSagaHarness } from '../src/testing/index.js';
import {
  OrderCancelled,
  OrderPlaced,
  orderSaga,
  PaymentAccepted,
  PaymentDeclined,
  PaymentDue,
  ReleaseStock,
  RequestPayment,
  ReserveStock,
  SendSms,
  VoidPayment,
} from './support/order-saga.js';

const placed = { orderId: 'o-1', phone: '+44 1' };

describe('the saga harness (in memory)', () => {
  it('starts a saga, moves it, and completes it: state, sent commands, history, timeouts cancelled', async () => {
    const h = createSagaHarness(orderSaga());
    expect(await h.deliver(OrderPlaced, placed)).toMatchObject({ outcome: 'started', key: 'o-1', version: 1 });
    expect(await h.state('o-1')).toMatchObject({ orderId: 'o-1', status: 'awaiting-payment' });
    expect(h.messagesOf(ReserveStock)).toEqual([{ orderId: 'o-1' }]);
    expect(h.messagesOf(RequestPayment)).toEqual([{ orderId: 'o-1' }]);
    expect(h.timeouts.map((t) => [t.message, t.key, t.dueAt.getTime() - h.now().getTime()])).toEqual([['orders:payment-due', 'o-1', 1_800_000]]);
    const saga = await h.saga('o-1');
    expect(saga?.currentState).toBe('awaiting-payment');
    expect(saga?.timeouts['orders:payment-due']?.id).toBe(h.timeouts[0]!.id);

    const paid = await h.deliver(PaymentAccepted, { orderId: 'o-1' });
    expect(paid).toMatchObject({ outcome: 'completed', version: 2 });
    expect(paid.cancelledTimeouts).toHaveLength(1);
    expect(h.timeouts).toEqual([]);
    expect(h.messagesOf(SendSms)).toEqual([{ phone: '+44 1', text: 'order o-1 paid' }]);
    expect(await h.saga('o-1')).toBeUndefined(); // deleted on completion
    // Sent messages carry the correlation of the message that caused them.
    const sms = h.sent.find((m) => m.message === 'sms:send')!;
    expect(sms.envelope.causationid).toBeDefined();
  });

  it('fires the reminder timeout, then the cancellation, and compensates in reverse order', async () => {
    const h = createSagaHarness(orderSaga());
    await h.deliver(OrderPlaced, placed);
    expect(await h.advanceTime('29m')).toEqual([]);
    const [reminder] = await h.advanceTime('1m');
    expect(reminder).toMatchObject({ outcome: 'moved', version: 2 });
    expect(await h.state('o-1')).toMatchObject({ status: 'reminded' });
    expect(h.messagesOf(SendSms)).toEqual([{ phone: '+44 1', text: 'order o-1 awaits payment' }]);
    const [cancelled] = await h.advanceTime('30m');
    expect(cancelled).toMatchObject({ outcome: 'completed', version: 3 });
    // Undo in reverse: payment voided first, then stock released.
    expect(h.sent.map((m) => m.message).slice(-2)).toEqual(['billing:void', 'stock:release']);
    expect(h.messagesOf(VoidPayment)).toEqual([{ orderId: 'o-1' }]);
    expect(h.messagesOf(ReleaseStock)).toEqual([{ orderId: 'o-1' }]);
    expect(h.messagesOf(OrderCancelled)).toEqual([{ orderId: 'o-1', reason: 'not paid' }]);
    expect(h.timeouts).toEqual([]);
  });

  it('drops a replaced timeout and a timeout for a completed saga (its id is no longer pending)', async () => {
    const h = createSagaHarness(orderSaga({ keep: '1h' }));
    await h.deliver(OrderPlaced, placed);
    const first = h.timeouts[0]!;
    // A timeout message whose id is not the pending token (one the saga replaced, or never asked for) is dropped.
    expect(await h.deliver(PaymentDue, { orderId: 'o-1', reminder: true }, { id: 'not-the-token' })).toMatchObject({
      outcome: 'ignored',
      reason: 'stale-timeout',
    });
    await h.advanceTime('30m'); // the first fires (reminder) and asks for the next
    const second = h.timeouts[0]!;
    expect(second.id).not.toBe(first.id);
    expect(await h.deliver(PaymentDue, { orderId: 'o-1', reminder: true }, { id: first.id })).toMatchObject({ outcome: 'ignored', reason: 'duplicate' });
    await h.deliver(PaymentAccepted, { orderId: 'o-1' });
    expect(await h.deliver(PaymentDue, { orderId: 'o-1', reminder: false }, { id: second.id })).toMatchObject({ outcome: 'ignored', reason: 'completed' });
    const kept = await h.saga('o-1');
    expect(kept).toMatchObject({ status: 'completed', version: 3, timeouts: {} });
    expect(kept?.history.map((e) => e.message)).toEqual(['orders.placed', 'orders:payment-due', 'billing.accepted']);
    expect(kept!.expiresAt!.getTime() - h.now().getTime()).toBe(3_600_000);
    expect(h.store.prune(h.now().getTime() + 3_600_001)).toBe(1);
    expect(await h.saga('o-1')).toBeUndefined();
  });

  it('a saga asking for the same timeout twice keeps only the second', async () => {
    const Tick = PaymentDue;
    const saga = defineSaga({ name: 'ticker', state: z.object({ n: z.number() }) })
      .startedBy(OrderPlaced, { key: (m) => m.orderId }, async (m, _s, ctx) => {
        await ctx.requestTimeout(Tick, { orderId: m.orderId, reminder: false }, { delay: '1m' });
        await ctx.requestTimeout(Tick, { orderId: m.orderId, reminder: true }, { delay: '2m' });
        return { n: 0 };
      })
      .onTimeout(Tick, { key: (m) => m.orderId }, (m, s) => ({ n: s.n + (m.reminder ? 10 : 1) }));
    const h = createSagaHarness(saga);
    await h.deliver(OrderPlaced, placed);
    expect(h.timeouts).toHaveLength(1);
    expect(await h.advanceTime('5m')).toHaveLength(1);
    expect(await h.state('o-1')).toEqual({ n: 10 });
  });

  it('applies the not-found policy per message: ignore, or SagaNotFoundError (nothing recorded)', async () => {
    const h = createSagaHarness(orderSaga());
    expect(await h.deliver(PaymentAccepted, { orderId: 'nope' })).toMatchObject({ outcome: 'ignored', reason: 'not-found', version: 0 });
    await expect(h.deliver(PaymentDeclined, { orderId: 'nope', reason: 'card' })).rejects.toBeInstanceOf(SagaNotFoundError);
    expect(h.sent).toEqual([]);
    expect((await h.store.list()).items).toEqual([]);
  });

  it('rolls a failing transition back: an invalid returned state writes and sends nothing', async () => {
    const saga = defineSaga({ name: 'strict', state: z.object({ count: z.number().max(1) }) }).startedBy(
      OrderPlaced,
      { key: (m) => m.orderId },
      async (m, s, ctx) => {
        await ctx.send(RequestPayment, { orderId: m.orderId });
        return { count: (s?.count ?? 0) + 1 };
      },
    );
    const h = createSagaHarness(saga);
    await h.deliver(OrderPlaced, placed);
    await expect(h.deliver(OrderPlaced, placed)).rejects.toBeInstanceOf(ValidationError);
    expect(await h.state('o-1')).toEqual({ count: 1 });
    expect(h.sent).toHaveLength(1);
    expect((await h.saga('o-1'))?.version).toBe(1);
  });

  it('rejects bad keys and bad definitions with typed errors', async () => {
    const saga = defineSaga({ name: 'keyed', state: z.object({}) }).startedBy(OrderPlaced, { key: () => '' }, () => ({}));
    await expect(createSagaHarness(saga).deliver(OrderPlaced, placed)).rejects.toBeInstanceOf(InvalidSagaKeyError);
    expect(() => defineSaga({ name: 'bad name!', state: z.object({}) })).toThrow(InvalidSagaDefinitionError);
    expect(() => defineSaga({ name: 'x', state: {} as never })).toThrow(InvalidSagaDefinitionError);
    const once = defineSaga({ name: 'twice', state: z.object({}) }).startedBy(OrderPlaced, { key: (m) => m.orderId }, () => ({}));
    expect(() => once.on(OrderPlaced, { key: (m) => m.orderId }, () => ({}))).toThrow(/handled twice/);
    expect(() => once.on(PaymentAccepted, { key: (m) => m.orderId, notFound: 'drop' as never }, () => ({}))).toThrow(InvalidSagaDefinitionError);
  });

  it('serializes racing messages per saga: 50 at once, none lost', async () => {
    const saga = defineSaga({ name: 'counter', state: z.object({ seen: z.array(z.number()) }) }).startedBy(
      PaymentDeclined,
      { key: (m) => m.orderId },
      async (m, s) => {
        await new Promise((r) => setTimeout(r, 1));
        return { seen: [...(s?.seen ?? []), Number(m.reason)] };
      },
    );
    const h = createSagaHarness(saga);
    await Promise.all(Array.from({ length: 50 }, (_, i) => h.deliver(PaymentDeclined, { orderId: 'c', reason: String(i) })));
    const state = await h.state('c');
    expect([...state!.seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect((await h.saga('c'))?.version).toBe(50);
  });
});
