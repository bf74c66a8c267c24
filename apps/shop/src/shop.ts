import { openInfrastructure, type InfrastructureOptions, type ShopInfrastructure } from './infrastructure.js';
import { startBilling, type BillingService } from './services/billing.js';
import { startNotifications, type NotificationsService } from './services/notifications.js';
import { startOrders, type OrdersService } from './services/orders.js';
import { createShopLogger, type LogEntry } from './shop-logger.js';

export interface Shop {
  readonly infra: ShopInfrastructure;
  readonly orders: OrdersService;
  readonly billing: BillingService;
  readonly notifications: NotificationsService;
  readonly logs: LogEntry[];
  /** Places an order over the orders service's HTTP endpoint; returns its id and correlation id. */
  placeOrder(customerId: string, amountCents: number): Promise<{ orderId: string; correlationId: string }>;
  stop(): Promise<void>;
}

export interface ShopOptions extends InfrastructureOptions {
  /** Print logs as they happen. Default false. */
  readonly print?: boolean;
  /** The order saga's payment timeout: a reminder after it, the cancellation after as long again. Default 1 h (the demo uses seconds). */
  readonly reminderDelayMs?: number;
  readonly port?: number;
}

/** Starts the three services (orders, billing, notifications) on one infrastructure. */
export async function startShop(options: ShopOptions): Promise<Shop> {
  const infra = await openInfrastructure(options);
  const { logger, entries } = createShopLogger({ print: options.print ?? false });
  const notifications = await startNotifications(infra, { logger: logger('notifications') });
  const billing = await startBilling(infra, { logger: logger('billing') });
  const orders = await startOrders(infra, { logger: logger('orders'), paymentTimeoutMs: options.reminderDelayMs, port: options.port });
  return {
    infra,
    orders,
    billing,
    notifications,
    logs: entries,
    async placeOrder(customerId, amountCents) {
      const res = await fetch(`${orders.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customerId, amountCents }),
      });
      if (res.status !== 201) throw new Error(`placing an order failed: HTTP ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { orderId: string };
      return { orderId: body.orderId, correlationId: res.headers.get('x-correlation-id') ?? '' };
    },
    async stop() {
      await orders.stop();
      await billing.stop();
      await notifications.stop();
      await infra.close();
    },
  };
}
