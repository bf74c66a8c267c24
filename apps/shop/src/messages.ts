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

/** orders.paid: billing charged the customer. */
export const OrderPaid = defineEvent({
  topic: 'orders',
  type: 'paid',
  schema: z.object({ orderId: z.string(), customerId: z.string() }),
});

/** orders.reminder: "your order is still unpaid", scheduled at placement, cancelled by tags when paid. */
export const OrderReminder = defineEvent({
  topic: 'orders',
  type: 'reminder',
  schema: z.object({ orderId: z.string() }),
});

/** sms.send: a command handled by the notifications service. */
export const SendSms = defineCommand({
  service: 'notifications',
  type: 'sms.send',
  schema: z.object({ phone: z.string().min(3), text: z.string().min(1).max(480) }),
  expiresIn: '5m',
});

const Customer = z.object({ id: z.string(), name: z.string(), phone: z.string(), blocked: z.boolean() });
export type Customer = z.infer<typeof Customer>;

/** customers.get: served by orders (it owns the customers table), called by billing through a batched loader. */
export const GetCustomers = defineProcedure({
  name: 'customers.get',
  input: z.array(z.string()),
  output: z.array(Customer),
});
