import { sql } from 'kysely';
import type { Migration } from './migrator.js';

/** Deferred messages, keyed by an increasing sequence number. */
export const deferredMessagesMigration: Migration = {
  version: 4,
  name: 'deferred messages',
  async up(db, schema) {
    const table = sql.id(schema, 'deferred_messages');
    await sql`create table ${table} (
      seq bigserial primary key,
      message_id text not null,
      service text not null,
      queue text not null,
      handler text,
      type text not null,
      reason text,
      correlation_id text,
      envelope jsonb not null,
      body bytea not null,
      content_type text not null,
      headers jsonb not null default '{}'::jsonb,
      deferred_at timestamptz not null
    )`.execute(db);
    await sql`create index ${sql.id('deferred_messages_type_idx')} on ${table} (type, seq)`.execute(db);
    await sql`create index ${sql.id('deferred_messages_service_idx')} on ${table} (service, seq)`.execute(db);
  },
};
