import { createMetro, type Logger, type Metro } from '@metro/core';
import { pgFailureStore } from '@metro/outbox-pg';
import { createRpc, type Rpc } from '@metro/rpc';
import type { ShopInfrastructure } from '../infrastructure.js';
import { GetCustomers, OrderPaid, PaymentDeclined, RequestPayment, type Customer } from '../messages.js';

/** A hiccup worth retrying (e.g. the customer's bank did not answer the payment provider). */
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
 * billing: on the order saga's `payment.request`, looks the customer up over RPC (batched loader)
 * and charges: `orders.paid`, or `orders.payment-declined` for a blocked card. A customer whose bank
 * is offline fails on purpose (retried, then recorded in the failure store, where an operator can
 * see and retry it): no answer reaches the saga, whose payment timeout reminds, then cancels.
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

  metro.handle(
    RequestPayment,
    async ({ orderId, customerId, amountCents }, ctx) => {
      const customer = await customers.load(customerId);
      if (!customer || customer.blocked) {
        const reason = customer ? 'the card is blocked' : 'unknown customer';
        ctx.logger.info({ orderId }, `payment for ${orderId} declined: ${reason}`);
        await ctx.publish(PaymentDeclined, { orderId, reason });
        return;
      }
      if (customer.bankOffline) throw new PaymentProviderUnavailableError(`the bank of ${customer.name} did not answer; order ${orderId} not charged`);
      ctx.logger.info({ orderId, amountCents }, `charged ${customer.name} ${(amountCents / 100).toFixed(2)} for ${orderId}`);
      await ctx.publish(OrderPaid, { orderId, customerId });
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
