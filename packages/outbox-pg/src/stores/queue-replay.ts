import type { Kysely } from 'kysely';
import type { HeaderValue } from '@metro/core';
import type { Executor } from '../database/executor.js';
import { insertOutboxRows } from '../outbox/outbox-rows.js';

/** A stored message (a failed or a deferred one) sent again to the queue it was consumed from. */
export interface QueueReplay {
  readonly messageId: string;
  readonly type: string | null;
  readonly queue: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/**
 * Writes the outbox row of a replay through `executor` (the caller's transaction, so the row is
 * written if and only if the store's own change commits): same message id and bytes, to
 * `{ kind: 'queue', queue }`, no aggregate, no expiry. Shared by the failure and deferred stores.
 */
export async function insertQueueReplay(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  schema: string,
  executor: Executor,
  replay: QueueReplay,
): Promise<void> {
  await insertOutboxRows(db, schema, executor, [
    {
      messageId: replay.messageId,
      type: replay.type,
      destination: { kind: 'queue', queue: replay.queue },
      aggregateId: null,
      body: replay.body,
      contentType: replay.contentType,
      headers: replay.headers,
      expiresAt: null,
    },
  ]);
}
