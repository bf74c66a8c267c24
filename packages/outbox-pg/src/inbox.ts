import { sql, type Kysely, type Transaction } from 'kysely';
import { toMilliseconds, type Duration, type Inbox, type InboxKey, type InboxResult } from '@metro/core';
import { schemaName } from './identifiers.js';

/** Options of {@link createInbox}. */
export interface InboxOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  /** Default `metro`. */
  readonly schema?: string;
  /** How long processed ids are kept; `prune()` deletes older ones. Default `'7d'`. Redeliveries later than this run again. */
  readonly retention?: Duration;
}

/** The PostgreSQL inbox. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PgInbox extends Inbox<Transaction<any>> {
  /** Deletes ids processed longer ago than the retention window; returns how many. */
  prune(): Promise<number>;
}

/**
 * Effectively-once processing: `run` opens a transaction, records (consumer, messageId) with
 * `ON CONFLICT DO NOTHING` first, and runs the work in that same transaction only if the row
 * was new. A duplicate (already committed, or committed by a concurrent copy while this one
 * waited on the row lock) returns `{ duplicate: true }` without running the work. If the work
 * throws, everything rolls back, the id included, so a redelivery runs it again.
 *
 * @example
 * ```ts
 * const inbox = createInbox({ db });
 * const metro = createMetro({ service: 'billing', transport, inbox });
 * metro.on(OrderPlaced, async (order, ctx) => {
 *   await ctx.trx.insertInto('invoices').values({ orderId: order.orderId }).execute();
 * }, { inbox: true });
 * ```
 */
export function createInbox(options: InboxOptions): PgInbox {
  const schema = schemaName(options.schema);
  const retentionMs = toMilliseconds(options.retention ?? '7d');
  const { db } = options;
  return {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    async run<T>(key: InboxKey, work: (trx: Transaction<any>) => Promise<T>): Promise<InboxResult<T>> {
      return db.transaction().execute(async (trx): Promise<InboxResult<T>> => {
        const inserted = await trx
          .withSchema(schema)
          .insertInto('inbox')
          .values({ consumer: key.consumer, message_id: key.messageId })
          .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return { duplicate: true };
        return { duplicate: false, result: await work(trx) };
      });
    },
    async prune() {
      const result = await db
        .withSchema(schema)
        .deleteFrom('inbox')
        .where('processed_at', '<', sql<Date>`now() - make_interval(secs => ${retentionMs / 1000})`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
