// A user's app on its own kysely version (the test installs 0.27.0, the newest 0.28 and 0.29):
// compiled with `tsc` (strict, NodeNext) in a scratch project where @metro/* come from the packed
// tarballs, then run against PostgreSQL. One copy of kysely serves the app and Metro (a peer
// dependency), so a `Kysely<Database>` of the app is what migrate() and the others take.
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { defineEvent, type StandardSchemaV1 } from '@metro/core';
import { createOutbox, migrate, pgFailureStore } from '@metro/outbox-pg';
import { createScheduler, migrateScheduler } from '@metro/scheduler';
import { createAdminRouter } from '@metro/admin-trpc';

interface Database {
  orders: { id: string; total: number };
}

const schema = process.argv[2];
if (schema === undefined) throw new Error('usage: node dist/app.js <schema>');
const orderSchema: StandardSchemaV1<{ orderId: string }> = {
  '~standard': { version: 1, vendor: 'kysely-peer', validate: (value) => ({ value: value as { orderId: string } }) },
};
const OrderPlaced = defineEvent({ topic: 'orders', type: 'placed', schema: orderSchema });

const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test' });
pool.on('error', () => undefined);
const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
try {
  const outboxMigrations = await migrate(db, { schema });
  const schedulerMigrations = await migrateScheduler(db, { schema });
  const outbox = createOutbox({ db, schema, source: 'kysely-peer' });
  await db.transaction().execute(async (trx) => {
    await outbox.publish(trx, OrderPlaced, { orderId: '1' });
  });
  const rows = await sql<{ count: string }>`select count(*)::text as count from ${sql.table(`${schema}.outbox`)}`.execute(db);
  const failures = await pgFailureStore(db, { schema }).list({ limit: 1 });
  createScheduler({ db, schema, source: 'kysely-peer' });
  createAdminRouter({ db, schema, authorize: (request) => (request.token === 'secret' ? { id: 'ops', roles: ['operator'] } : null) });
  console.log(
    JSON.stringify({
      outboxMigrations: outboxMigrations.applied.length,
      schedulerMigrations: schedulerMigrations.applied.length,
      outboxRows: Number(rows.rows[0]?.count),
      failures: failures.items.length,
    }),
  );
} finally {
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
  await db.destroy();
}
