import { createMetro, type Logger, type Metro } from '@metro/core';
import { pgFailureStore } from '@metro/outbox-pg';
import { createRpc, type Rpc } from '@metro/rpc';
import type { ShopInfrastructure } from '../infrastructure.js';
import { GetCustomers, OrderPaid, OrderPlaced, SendSms, type Customer } from '../messages.js';

/** The card of this customer is blocked: retrying will not help, so it fails at once. */
export class PaymentDeclinedError extends Error {
  override readonly name = 'PaymentDeclinedError';
}

/** A hiccup worth retrying (e.g. the payment provider timed out). */
export class PaymentProviderUnavailableError extends Error {
  override readonly name = 'PaymentProviderUnavailableError';
}

export interface BillingService {
  readonly metro: Metro;
  readonly rpc: Rpc;
  /** customers.get calls made (the loader batches the lookups of one tick into one call). */
  customerCalls(): number;
  stop(): Promise<void>;
}

/**
 * billing: on `orders.placed`, looks the customer up over RPC (batched loader), charges, publishes
 * `orders.paid` and sends the `sms.send` command. A blocked card fails on purpose and is recorded
 * in the failure store, where an operator can see and retry it.
 */
export async function startBilling(infra: ShopInfrastructure, options: { logger: Logger }): Promise<BillingService> {
  const { db, schema } = infra;
  const transport = infra.transport('billing');
  const metro = createMetro({
    service: 'billing',
    transport,
    failures: pgFailureStore(db, { schema }),
    logger: options.logger,
    closeTransport: !infra.sharedTransport,
  });
  const rpc = createRpc({ transport, service: 'billing', logger: options.logger });
  const customers = rpc.loader<typeof GetCustomers, string, Customer>(GetCustomers, { key: 'id', maxBatch: 500 });

  metro.on(
    OrderPlaced,
    async ({ orderId, customerId, amountCents }, ctx) => {
      const customer = await customers.load(customerId);
      if (!customer) throw new PaymentDeclinedError(`unknown customer ${customerId}`);
      if (customer.blocked) throw new PaymentDeclinedError(`card of ${customer.name} is blocked; order ${orderId} not charged`);
      ctx.logger.info({ orderId, amountCents }, `charged ${customer.name} ${(amountCents / 100).toFixed(2)} for ${orderId}`);
      await ctx.publish(OrderPaid, { orderId, customerId });
      await ctx.send(SendSms, { phone: customer.phone, text: `Thanks ${customer.name}, order ${orderId} is paid.` });
    },
    { name: 'charge-order', retry: { attempts: 3, backoff: 'exponential', delay: '200ms', on: [PaymentProviderUnavailableError] } },
  );

  await metro.start();
  return {
    metro,
    rpc,
    customerCalls: () => customers.calls,
    async stop() {
      await rpc.stop();
      await metro.stop();
    },
  };
}
