import { sql } from 'kysely';
import type { Migration } from './migrator.js';

/**
 * Keyset paging of failed messages filtered by `reason` (the admin API's reason filter), like the
 * per-type/topic/service/queue/error indexes of version 3. Without it, a rare reason walks the
 * whole newest-first index. (The `errorName` filter uses version 3's `failed_messages_error_idx`.)
 */
export const failedMessagesReasonIndexMigration: Migration = {
  version: 5,
  name: 'failed messages reason index',
  async up(db, schema) {
    await sql`create index ${sql.id('failed_messages_reason_idx')} on ${sql.id(schema, 'failed_messages')} (reason, last_failed_at desc, id desc)`.execute(db);
  },
};
