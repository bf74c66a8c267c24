import type { Kysely, Transaction } from 'kysely';
import type { InboxBatch, InboxBatchResult, InboxBatchWork } from '@metro/core';

/**
 * The batch form of the inbox's `run` (`Inbox.runBatch`): in one transaction, one multi-row
 * `INSERT ... ON CONFLICT DO NOTHING RETURNING` records the batch's ids (sorted, so that two
 * batches sharing ids lock them in the same order) and tells which were new; the work runs with
 * those, in the same transaction; the ids it reports `unprocessed` are deleted again before the
 * commit, so their redelivery runs. A concurrent holder of an id makes the insert wait for it, as
 * in `run`. Nothing is recorded when the work throws.
 *
 * @example
 * ```ts
 * const { fresh } = await runInboxBatch(db, 'metro', { consumer: 'billing:store', messageIds }, async (trx, fresh) => {
 *   await insertRows(trx, fresh);
 *   return { result: undefined };
 * });
 * ```
 */
export async function runInboxBatch<T>(
  // The inbox's own table is not in the app's DB type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  schema: string,
  batch: InboxBatch,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  work: (trx: Transaction<any>, fresh: ReadonlyArray<string>) => Promise<InboxBatchWork<T>>,
): Promise<InboxBatchResult<T>> {
  const ids = [...new Set(batch.messageIds)];
  if (ids.length === 0) return { fresh: [], result: undefined };
  const sorted = [...ids].sort();
  return db.transaction().execute(async (trx): Promise<InboxBatchResult<T>> => {
    const inserted = await trx
      .withSchema(schema)
      .insertInto('inbox')
      .values(sorted.map((messageId) => ({ consumer: batch.consumer, message_id: messageId })))
      .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
      .returning('message_id')
      .execute();
    const isNew = new Set(inserted.map((row: { message_id: string }) => row.message_id));
    const fresh = ids.filter((id) => isNew.has(id));
    if (fresh.length === 0) return { fresh, result: undefined };
    const done = await work(trx, fresh);
    const unprocessed = (done.unprocessed ?? []).filter((id) => isNew.has(id));
    if (unprocessed.length > 0) {
      await trx.withSchema(schema).deleteFrom('inbox').where('consumer', '=', batch.consumer).where('message_id', 'in', unprocessed).execute();
    }
    return { fresh, result: done.result };
  });
}
