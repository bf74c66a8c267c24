import { sql } from 'kysely';
import type { Migration } from './migrator.js';
import { outboxChannel } from '../identifiers.js';

/** The outbox table, its indexes, the notify trigger and the relay's throughput counter. */
export const outboxMigration: Migration = {
  version: 1,
  name: 'outbox',
  async up(db, schema) {
    const outbox = sql.id(schema, 'outbox');
    await sql`create table ${outbox} (
      seq bigserial primary key,
      message_id text not null,
      type text,
      destination jsonb not null,
      aggregate_id text,
      body bytea not null,
      content_type text not null,
      headers jsonb not null default '{}'::jsonb,
      priority integer,
      delay_ms integer,
      expires_at timestamptz,
      created_at timestamptz not null default clock_timestamp(),
      status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default '-infinity',
      last_error text,
      sent_at timestamptz
    )`.execute(db);
    // The relay's claim: pending rows in order.
    await sql`create index ${sql.id('outbox_pending_idx')} on ${outbox} (seq) where status = 'pending'`.execute(db);
    // Per-aggregate ordering: is there an earlier pending row of this aggregate?
    await sql`create index ${sql.id('outbox_aggregate_pending_idx')} on ${outbox} (aggregate_id, seq) where status = 'pending' and aggregate_id is not null`.execute(
      db,
    );
    // Retention pruning and admin listings of sent / failed rows.
    await sql`create index ${sql.id('outbox_sent_at_idx')} on ${outbox} (sent_at) where status = 'sent'`.execute(db);
    await sql`create index ${sql.id('outbox_failed_idx')} on ${outbox} (seq) where status = 'failed'`.execute(db);
    const notify = sql.id(schema, 'outbox_notify');
    await sql`create function ${notify}() returns trigger language plpgsql as $$
      begin
        perform pg_notify(${sql.lit(outboxChannel(schema))}, '');
        return null;
      end
    $$`.execute(db);
    // Statement level: a bulk insert notifies once; NOTIFY is delivered at commit (never on rollback).
    await sql`create trigger outbox_notify_trigger after insert on ${outbox} for each statement execute function ${notify}()`.execute(db);
    await sql`create table ${sql.id(schema, 'outbox_throughput')} (
      bucket timestamptz not null,
      relay text not null,
      sent integer not null,
      primary key (bucket, relay)
    )`.execute(db);
  },
};
