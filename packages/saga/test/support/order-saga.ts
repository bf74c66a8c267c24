// The order saga the harness tests drive: placed -> payment requested -> paid -> customer notified;
// declined -> cancelled and told; no payment within 30 minutes -> a reminder, then cancellation.
import { defineCommand, defineEvent } from '@metro/core';
import { z } from 'zod';
import { defineCompensations, defineSaga } from '../../src/index.js';

export const OrderPlaced = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ orderId: z.string(), phone: z.string() }) });
export const PaymentAccepted = defineEvent({ topic: 'billing', type: 'accepted', schema: z.object({ orderId: z.string() }) });
export const PaymentDeclined = defineEvent({ topic: 'billing', type: 'declined', schema: z.object({ orderId: z.string(), reason: z.string() }) });
export const RequestPayment = defineCommand({ service: 'billing', type: 'request-payment', schema: z.object({ orderId: z.string() }) });
export const ReserveStock = defineCommand({ service: 'stock', type: 'reserve', schema: z.object({ orderId: z.string() }) });
export const ReleaseStock = defineCommand({ service: 'stock', type: 'release', schema: z.object({ orderId: z.string() }) });
export const VoidPayment = defineCommand({ service: 'billing', type: 'void', schema: z.object({ orderId: z.string() }) });
export const SendSms = defineCommand({ service: 'sms', type: 'send', schema: z.object({ phone: z.string(), text: z.string() }) });
export const PaymentDue = defineCommand({ service: 'orders', type: 'payment-due', schema: z.object({ orderId: z.string(), reminder: z.boolean() }) });
export const OrderCancelled = defineEvent({ topic: 'orders', type: 'cancelled', schema: z.object({ orderId: z.string(), reason: z.string() }) });

export const OrderState = z.object({
  orderId: z.string(),
  phone: z.string(),
  status: z.enum(['awaiting-payment', 'reminded']),
  undo: z.array(z.object({ command: z.string(), payload: z.unknown() })),
});

export const undo = defineCompensations({ releaseStock: ReleaseStock, voidPayment: VoidPayment });

export function orderSaga(completed: 'delete' | { keep: '1h' } = 'delete') {
  return defineSaga({ name: 'order', state: OrderState, currentState: (s) => s.status, completed })
    .startedBy(OrderPlaced, { key: (m) => m.orderId }, async (m, state, ctx) => {
      if (state) return state; // placed twice: nothing new
      await ctx.send(ReserveStock, { orderId: m.orderId });
      await ctx.send(RequestPayment, { orderId: m.orderId });
      await ctx.requestTimeout(PaymentDue, { orderId: m.orderId, reminder: true }, { delay: '30m' });
      return {
        orderId: m.orderId,
        phone: m.phone,
        status: 'awaiting-payment' as const,
        undo: undo.add(undo.add([], 'releaseStock', { orderId: m.orderId }), 'voidPayment', { orderId: m.orderId }),
      };
    })
    .on(PaymentAccepted, { key: (m) => m.orderId, notFound: 'ignore' }, async (m, state, ctx) => {
      await ctx.send(SendSms, { phone: state.phone, text: `order ${m.orderId} paid` });
      return ctx.complete();
    })
    .on(PaymentDeclined, { key: (m) => m.orderId }, async (m, state, ctx) => {
      await undo.run(ctx, state.undo);
      await ctx.publish(OrderCancelled, { orderId: m.orderId, reason: m.reason });
      await ctx.send(SendSms, { phone: state.phone, text: `order ${m.orderId} cancelled: ${m.reason}` });
      return ctx.complete();
    })
    .onTimeout(PaymentDue, { key: (m) => m.orderId }, async (m, state, ctx) => {
      if (m.reminder) {
        await ctx.send(SendSms, { phone: state.phone, text: `order ${m.orderId} awaits payment` });
        await ctx.requestTimeout(PaymentDue, { orderId: m.orderId, reminder: false }, { delay: '30m' });
        return { ...state, status: 'reminded' as const };
      }
      await undo.run(ctx, state.undo);
      await ctx.publish(OrderCancelled, { orderId: m.orderId, reason: 'not paid' });
      return ctx.complete();
    });
}
