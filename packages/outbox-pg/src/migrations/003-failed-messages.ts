import { sql } from 'kysely';
import type { Migration } from './migrator.js';

/** Failed messages: one row per (message id, queue, handler), listed newest first. */
export const failedMessagesMigration: Migration = {
  version: 3,
  name: 'failed messages',
  async up(db, schema) {
    const table = sql.id(schema, 'failed_messages');
    await sql`create table ${table} (
      id text primary key,
      message_id text not null,
      service text not null,
      queue text not null,
      handler text,
      handler_key text not null,
      reason text not null,
      type text,
      topic text,
      correlation_id text,
      envelope jsonb,
      body bytea not null,
      content_type text not null,
      headers jsonb not null default '{}'::jsonb,
      error_name text not null,
      error_code text,
      error_message text not null,
      error_stack text,
      attempts integer not null,
      status text not null check (status in ('failed', 'retried', 'resolved', 'deleted')),
      first_failed_at timestamptz not null,
      last_failed_at timestamptz not null,
      retry_count integer not null default 0,
      retried_at timestamptz,
      resolved_at timestamptz
    )`.execute(db);
    await sql`create unique index ${sql.id('failed_messages_key_idx')} on ${table} (message_id, queue, handler_key)`.execute(db);
    // Keyset paging, newest first, overall and per filter the admin API offers.
    await sql`create index ${sql.id('failed_messages_recent_idx')} on ${table} (last_failed_at desc, id desc)`.execute(db);
    await sql`create index ${sql.id('failed_messages_status_idx')} on ${table} (status, last_failed_at desc, id desc)`.execute(db);
    await sql`create index ${sql.id('failed_messages_type_idx')} on ${table} (type, last_failed_at desc, id desc)`.execute(db);
    await sql`create index ${sql.id('failed_messages_topic_idx')} on ${table} (topic, last_failed_at desc, id desc)`.execute(db);
    await sql`create index ${sql.id('failed_messages_service_idx')} on ${table} (service, last_failed_at desc, id desc)`.execute(db);
    await sql`create index ${sql.id('failed_messages_queue_idx')} on ${table} (queue, last_failed_at desc, id desc)`.execute(db);
    await sql`create index ${sql.id('failed_messages_error_idx')} on ${table} (error_name, last_failed_at desc, id desc)`.execute(db);
  },
};
