import { sql } from 'kysely';
import type { Migration } from './migrator.js';

/** The OpenTelemetry trace a message failed in (`FailureRecord.traceId`): 32 hex digits, or null. */
export const failedMessagesTraceIdMigration: Migration = {
  version: 6,
  name: 'failed messages trace id',
  async up(db, schema) {
    await sql`alter table ${sql.id(schema, 'failed_messages')} add column trace_id text`.execute(db);
  },
};
