// The shop on the real services: RabbitMQ + PostgreSQL, isolated by a schema and a name prefix.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startShop, type Shop } from '../src/shop.js';
import { startAdmin } from '../src/admin.js';
import { createAdminClient } from '@metro/admin-client';
import { playShopScenario } from './shop-scenario.js';
import { dropShopServers, SHOP_AMQP_URL as AMQP_URL, SHOP_DATABASE_URL as DATABASE_URL } from './shop-servers.js';

const id = randomUUID().slice(0, 8);
const schema = `shop_test_${id}`;
const prefix = `shoptest-${id}.`;
let shop: Shop | undefined;

afterAll(async () => {
  await shop?.stop();
  await dropShopServers(schema, prefix);
});

describe('shop on RabbitMQ + PostgreSQL', () => {
  it('places four orders: two paid, one declined and cancelled, one reminded then cancelled by its saga; the admin API sees the failure and the sagas', async () => {
    shop = await startShop({ amqpUrl: AMQP_URL, databaseUrl: DATABASE_URL, schema, prefix, reminderDelayMs: 5000 });
    await playShopScenario(shop);

    // The orders service answers Kubernetes' probes with its bus, relay and scheduler worker.
    const readyz = await fetch(`${shop.orders.url}/readyz`);
    expect(readyz.status).toBe(200);
    const report = (await readyz.json()) as { ready: boolean; checks: Record<string, { status: string }> };
    expect(report.ready).toBe(true);
    expect(Object.keys(report.checks)).toEqual(
      expect.arrayContaining(['orders.bus', 'orders.connection.consume', 'outbox-relay.lag', 'scheduler-worker.lateness']),
    );
    expect((await fetch(`${shop.orders.url}/livez`)).status).toBe(200);

    const admin = await startAdmin(shop, { port: 0, token: 'shop-servers-test-token-0123456789' });
    try {
      const client = createAdminClient({ url: admin.url, token: 'shop-servers-test-token-0123456789' });
      const page = await client.failed.list.query({ filter: { service: 'billing', status: 'failed' } });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({ handler: 'charge-order' });
      // The order sagas, completed and kept: one per order, the unpaid one reminded before it was cancelled.
      const sagas = await client.sagas.list.query({ saga: 'order', status: 'completed' });
      expect(sagas.items.map((s) => s.currentState).sort()).toEqual(['awaiting-payment', 'awaiting-payment', 'awaiting-payment', 'reminded']);
      // The operator retries it: the bank still does not answer, so it fails again and is back to `failed`.
      const retried = await client.failed.retry.mutate({ id: page.items[0]!.id });
      expect(retried).toBeTruthy();
      const health = await client.health.report.query();
      expect(Object.keys(health?.checks ?? {})).toEqual(
        expect.arrayContaining(['orders.bus', 'billing.consumers', 'notifications.bus', 'scheduler-worker.worker']),
      );
      const unauthorised = await fetch(`${admin.url}/trpc/failed.list`);
      expect(unauthorised.status).toBe(401);
      await client.close();
    } finally {
      await admin.close();
    }
  });
});
