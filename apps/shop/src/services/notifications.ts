import { createMetro, type Logger, type Metro } from '@metro/core';
import { createInbox, pgFailureStore } from '@metro/outbox-pg';
import type { ShopInfrastructure } from '../infrastructure.js';
import { OrderReminder, SendSms } from '../messages.js';

export interface NotificationsService {
  readonly metro: Metro;
  stop(): Promise<void>;
}

/**
 * notifications: handles the `sms.send` command through the inbox, so a redelivered command
 * sends one SMS (the log row and the inbox row commit together); and turns due `orders.reminder`
 * events into reminder texts.
 */
export async function startNotifications(infra: ShopInfrastructure, options: { logger: Logger }): Promise<NotificationsService> {
  const { db, schema } = infra;
  const transport = infra.transport('notifications');
  const inbox = createInbox({ db, schema });
  const metro = createMetro({
    service: 'notifications',
    transport,
    failures: pgFailureStore(db, { schema }),
    inbox,
    logger: options.logger,
    closeTransport: !infra.sharedTransport,
  });

  metro.handle(
    SendSms,
    async ({ phone, text }, ctx) => {
      if (!ctx.trx) throw new Error('sms.send must run inside the inbox transaction');
      await ctx.trx.withSchema(schema).insertInto('sms_log').values({ message_id: ctx.messageId, phone, text, correlation_id: ctx.correlationId }).execute();
      ctx.logger.info({ phone }, `SMS to ${phone}: "${text}"`);
    },
    { inbox: true },
  );

  metro.on(OrderReminder, async ({ orderId }, ctx) => {
    const order = await db.withSchema(schema).selectFrom('orders').select(['status', 'customer_id']).where('id', '=', orderId).executeTakeFirst();
    if (!order || order.status === 'paid') return;
    const customer = await db
      .withSchema(schema)
      .selectFrom('customers')
      .select(['phone', 'name'])
      .where('id', '=', order.customer_id)
      .executeTakeFirstOrThrow();
    await ctx.send(SendSms, { phone: customer.phone, text: `${customer.name}, order ${orderId} is still unpaid.` });
    ctx.logger.info({ orderId }, `reminder for unpaid order ${orderId}`);
  });

  await metro.start();
  return { metro, stop: () => metro.stop() };
}
