import { randomBytes } from 'node:crypto';
import { createAdminRouter, createAdminServer, tokenAuth } from '@metro/admin-trpc';
import { dashboardDir } from '@metro/admin-web';
import { OrderPaid, OrderPlaced, PaymentDeclined, PaymentDue, RequestPayment, SendSms } from './messages.js';
import type { Shop } from './shop.js';

/**
 * The admin API (tRPC over HTTP + WebSocket) and the dashboard for the shop, on 127.0.0.1.
 * The token comes from METRO_ADMIN_TOKEN or is generated and printed: the server never runs without auth.
 */
export async function startAdmin(shop: Shop, options: { port?: number; token?: string } = {}): Promise<{ url: string; token: string; close(): Promise<void> }> {
  const token = options.token ?? process.env.METRO_ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
  const router = createAdminRouter({
    db: shop.infra.db,
    schema: shop.infra.schema,
    metro: shop.billing.metro,
    transport: shop.billing.metro.transport,
    queues: ['orders', 'billing', 'notifications'],
    // The stats view shows the health of these (orders' bus, relay and scheduler worker, and the other services' buses).
    health: [shop.orders.metro, shop.orders.relay, shop.orders.worker, shop.billing.metro, shop.notifications.metro],
    // Edited payloads of failed messages are validated against these before they are retried.
    messages: [OrderPlaced, RequestPayment, OrderPaid, PaymentDeclined, PaymentDue, SendSms],
    authorize: tokenAuth({ operator: { token, roles: ['admin'] } }), // a token of at least 20 characters
    source: 'admin',
  });
  const server = await createAdminServer({
    router,
    port: options.port ?? Number(process.env.METRO_ADMIN_PORT ?? 4400),
    host: '127.0.0.1',
    staticDir: dashboardDir,
  });
  return { url: server.url, token, close: () => server.close() };
}
