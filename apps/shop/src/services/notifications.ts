import { createMetro, type Logger, type Metro } from '@metro/core';
import { createInbox, pgFailureStore } from '@metro/outbox-pg';
import type { ShopInfrastructure } from '../infrastructure.js';
import { SendSms } from '../messages.js';

export interface NotificationsService {
  readonly metro: Metro;
  stop(): Promise<void>;
}

/**
 * notifications: handles the `sms.send` command through the inbox, so a redelivered command
 * sends one SMS (the log row and the inbox row commit together).
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

  await metro.start();
  return { metro, stop: () => metro.stop() };
}
