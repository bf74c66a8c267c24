// What the shop's tests on RabbitMQ + PostgreSQL share: the URLs and the clean-up of one run's schema and names.
import amqplib from 'amqplib';
import pg from 'pg';

export const SHOP_AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const SHOP_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Drops the run's schema and deletes its queues and exchanges (names under `prefix`). */
export async function dropShopServers(schema: string, prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: SHOP_DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  const conn = await amqplib.connect(SHOP_AMQP_URL);
  const ch = await conn.createChannel();
  // Service queues have an `.expired` companion (see @metro/transport-amqp's README).
  for (const q of ['orders', 'billing', 'notifications', 'orders.expired', 'billing.expired', 'notifications.expired', 'rpc.customers.get']) {
    await ch.deleteQueue(prefix + q).catch(() => undefined);
  }
  for (const e of ['orders', 'metro.commands']) await ch.deleteExchange(prefix + e).catch(() => undefined);
  await conn.close().catch(() => undefined);
}
