// The shop's messages: one place that every service imports, as a shared contract package would be.
import { defineCommand, defineEvent } from '@metro/core';
import { defineProcedure } from '@metro/rpc';
import { z } from 'zod';

/** orders.placed: an order was written (published through the outbox in the order's transaction). */
export const OrderPlaced = defineEvent({
  topic: 'orders',
  type: 'placed',
  schema: z.object({ orderId: z.string(), customerId: z.string(), amountCents: z.number().int().positive() }),
});

/** billing's payment.request: the order saga asks billing to charge an order. */
export const RequestPayment = defineCommand({
  service: 'billing',
  type: 'payment.request',
  schema: z.object({ orderId: z.string(), customerId: z.string(), amountCents: z.number().int().positive() }),
});

/** orders.paid: billing charged the customer. */
export const OrderPaid = defineEvent({
  topic: 'orders',
  type: 'paid',
  schema: z.object({ orderId: z.string(), customerId: z.string() }),
});

/** orders.payment-declined: billing could not charge the order (the card is blocked); the order saga cancels it. */
export const PaymentDeclined = defineEvent({
  topic: 'orders',
  type: 'payment-declined',
  schema: z.object({ orderId: z.string(), reason: z.string() }),
});

/** orders' payment-due: the order saga's timeout (no payment in time): first a reminder, then the cancellation. */
export const PaymentDue = defineCommand({
  service: 'orders',
  type: 'payment-due',
  schema: z.object({ orderId: z.string(), reminded: z.boolean() }),
});

/** sms.send: a command handled by the notifications service. */
export const SendSms = defineCommand({
  service: 'notifications',
  type: 'sms.send',
  schema: z.object({ phone: z.string().min(3), text: z.string().min(1).max(480) }),
  expiresIn: '5m',
});

const Customer = z.object({ id: z.string(), name: z.string(), phone: z.string(), blocked: z.boolean(), bankOffline: z.boolean() });
export type Customer = z.infer<typeof Customer>;

/** customers.get: served by orders (it owns the customers table), called by billing through a batched loader. */
export const GetCustomers = defineProcedure({
  name: 'customers.get',
  input: z.array(z.string()),
  output: z.array(Customer),
});
