import { runMigrations, type Migration } from '@metro/outbox-pg';
import { sql, type Kysely } from 'kysely';

/** The shop's own tables, next to Metro's in the same database (and schema). */
const migrations: Migration[] = [
  {
    version: 1,
    name: 'orders, customers, sms log',
    async up(db, schema) {
      const s = sql.id(schema);
      await sql`CREATE TABLE IF NOT EXISTS ${s}.customers (id text PRIMARY KEY, name text NOT NULL, phone text NOT NULL, blocked boolean NOT NULL DEFAULT false)`.execute(
        db,
      );
      await sql`CREATE TABLE IF NOT EXISTS ${s}.orders (id text PRIMARY KEY, customer_id text NOT NULL REFERENCES ${s}.customers(id), amount_cents integer NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`.execute(
        db,
      );
      await sql`CREATE TABLE IF NOT EXISTS ${s}.sms_log (message_id text PRIMARY KEY, phone text NOT NULL, text text NOT NULL, correlation_id text, sent_at timestamptz NOT NULL DEFAULT now())`.execute(
        db,
      );
    },
  },
  {
    version: 2,
    name: 'customers whose bank never answers (the order saga times out)',
    async up(db, schema) {
      await sql`ALTER TABLE ${sql.id(schema)}.customers ADD COLUMN IF NOT EXISTS bank_offline boolean NOT NULL DEFAULT false`.execute(db);
    },
  },
];

/** Creates the shop's tables and the demo customers (idempotent): two who pay, one whose card is blocked, one whose bank never answers. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function migrateShop(db: Kysely<any>, schema: string): Promise<void> {
  await runMigrations(db, { schema, component: 'shop', migrations });
  await db
    .withSchema(schema)
    .insertInto('customers')
    .values([
      { id: 'c-ada', name: 'Ada Lovelace', phone: '+44 20 7946 0001', blocked: false, bank_offline: false },
      { id: 'c-alan', name: 'Alan Turing', phone: '+44 20 7946 0002', blocked: false, bank_offline: false },
      { id: 'c-mallory', name: 'Mallory (card blocked)', phone: '+44 20 7946 0666', blocked: true, bank_offline: false },
      { id: 'c-grace', name: 'Grace Hopper (bank offline)', phone: '+44 20 7946 0003', blocked: false, bank_offline: true },
    ])
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
