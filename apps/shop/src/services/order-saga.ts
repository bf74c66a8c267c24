import { defineSaga } from '@metro/saga';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { OrderPaid, OrderPlaced, PaymentDeclined, PaymentDue, RequestPayment, SendSms } from '../messages.js';

/** The order saga's state: which order, whose, and where it is (`awaiting-payment`, then `reminded`). */
export const OrderSagaState = z.object({
  orderId: z.string(),
  customerId: z.string(),
  status: z.enum(['awaiting-payment', 'reminded']),
});

/**
 * The order flow as a saga (`@metro/saga`), run by the orders service:
 * order placed -> payment requested (billing's `payment.request`) -> paid -> customer notified;
 * declined -> order cancelled and the customer told; no payment within `paymentTimeoutMs` -> a
 * reminder, then after as long again the cancellation. Each step updates the order row, sends its
 * SMS and schedules its timeout in the transition's transaction. Completed sagas are kept 7 days
 * (the admin API and dashboard show them).
 */
export function defineOrderSaga(options: { schema: string; paymentTimeoutMs: number }) {
  const { schema, paymentTimeoutMs } = options;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const table = (trx: unknown) => (trx as Transaction<any> | Kysely<any>).withSchema(schema);
  const customerOf = (trx: unknown, customerId: string) =>
    table(trx).selectFrom('customers').select(['name', 'phone']).where('id', '=', customerId).executeTakeFirstOrThrow() as Promise<{
      name: string;
      phone: string;
    }>;
  const setStatus = (trx: unknown, orderId: string, status: string) => table(trx).updateTable('orders').set({ status }).where('id', '=', orderId).execute();

  return defineSaga({ name: 'order', state: OrderSagaState, currentState: (s) => s.status, completed: { keep: '7d' } })
    .startedBy(OrderPlaced, { key: (m) => m.orderId }, async (m, state, ctx) => {
      if (state) return state; // orders.placed delivered again: payment was requested already
      await ctx.send(RequestPayment, { orderId: m.orderId, customerId: m.customerId, amountCents: m.amountCents });
      await ctx.requestTimeout(PaymentDue, { orderId: m.orderId, reminded: false }, { delay: paymentTimeoutMs });
      ctx.logger.info({ orderId: m.orderId }, `order ${m.orderId}: payment requested from billing`);
      return { orderId: m.orderId, customerId: m.customerId, status: 'awaiting-payment' as const };
    })
    .on(OrderPaid, { key: (m) => m.orderId, notFound: 'ignore' }, async (m, state, ctx) => {
      const customer = await customerOf(ctx.trx, state.customerId);
      await setStatus(ctx.trx, m.orderId, 'paid');
      await ctx.send(SendSms, { phone: customer.phone, text: `Thanks ${customer.name}, order ${m.orderId} is paid.` });
      ctx.logger.info({ orderId: m.orderId }, `order ${m.orderId} paid; customer notified, payment timeout cancelled`);
      return ctx.complete();
    })
    .on(PaymentDeclined, { key: (m) => m.orderId, notFound: 'ignore' }, async (m, state, ctx) => {
      const customer = await customerOf(ctx.trx, state.customerId);
      await setStatus(ctx.trx, m.orderId, 'cancelled');
      await ctx.send(SendSms, { phone: customer.phone, text: `${customer.name}, order ${m.orderId} was cancelled: ${m.reason}.` });
      ctx.logger.info({ orderId: m.orderId, reason: m.reason }, `order ${m.orderId} cancelled: payment declined`);
      return ctx.complete();
    })
    .onTimeout(PaymentDue, { key: (m) => m.orderId }, async (m, state, ctx) => {
      const customer = await customerOf(ctx.trx, state.customerId);
      if (m.reminded) {
        await setStatus(ctx.trx, m.orderId, 'cancelled');
        await ctx.send(SendSms, { phone: customer.phone, text: `${customer.name}, order ${m.orderId} was cancelled: no payment arrived.` });
        ctx.logger.info({ orderId: m.orderId }, `order ${m.orderId} cancelled: no payment after the reminder`);
        return ctx.complete();
      }
      await ctx.send(SendSms, { phone: customer.phone, text: `${customer.name}, order ${m.orderId} is still unpaid.` });
      await ctx.requestTimeout(PaymentDue, { orderId: m.orderId, reminded: true }, { delay: paymentTimeoutMs });
      ctx.logger.info({ orderId: m.orderId }, `reminder for unpaid order ${m.orderId}`);
      return { ...state, status: 'reminded' as const };
    });
}
