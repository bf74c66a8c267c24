import { sql } from 'kysely';
import type { Migration } from './migrator.js';

/** The inbox: one row per (consumer, message id) processed. */
export const inboxMigration: Migration = {
  version: 2,
  name: 'inbox',
  async up(db, schema) {
    const inbox = sql.id(schema, 'inbox');
    await sql`create table ${inbox} (
      consumer text not null,
      message_id text not null,
      processed_at timestamptz not null default now(),
      primary key (consumer, message_id)
    )`.execute(db);
    await sql`create index ${sql.id('inbox_processed_at_idx')} on ${inbox} (processed_at)`.execute(db);
  },
};
