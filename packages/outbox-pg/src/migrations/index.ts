import type { Migration } from './migrator.js';
import { outboxMigration } from './001-outbox.js';
import { inboxMigration } from './002-inbox.js';
import { failedMessagesMigration } from './003-failed-messages.js';
import { deferredMessagesMigration } from './004-deferred-messages.js';
import { failedMessagesReasonIndexMigration } from './005-failed-messages-reason-index.js';
import { failedMessagesTraceIdMigration } from './006-failed-messages-trace-id.js';

/** outbox-pg's own migrations, in order (component `outbox`). */
export const outboxPgMigrations: ReadonlyArray<Migration> = [
  outboxMigration,
  inboxMigration,
  failedMessagesMigration,
  deferredMessagesMigration,
  failedMessagesReasonIndexMigration,
  failedMessagesTraceIdMigration,
];
