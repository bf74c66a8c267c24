import { type Kysely, type Transaction } from 'kysely';
import {
  childLogger,
  ConfigurationError,
  defaultLogger,
  toMilliseconds,
  type Duration,
  type Inbox,
  type InboxBatch,
  type InboxBatchResult,
  type InboxBatchWork,
  type InboxKey,
  type InboxResult,
  type Logger,
} from '@metro/core';
import { schemaName } from '../identifiers.js';
import { runInboxBatch } from './inbox-batch.js';
import { BackgroundPrune, pruneInboxInChunks } from './inbox-prune.js';

/**
 * Options of {@link createInbox}. `DB` is the app's database type: the `ctx.trx` of `inbox: true`
 * handlers is a `Transaction<DB>`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface InboxOptions<DB = any> {
  /** The app's database: the inbox's table lives in `schema`, the work runs in its transactions. */
  readonly db: Kysely<DB>;
  /** Default `metro`. */
  readonly schema?: string;
  /** How long processed ids are kept; pruning deletes older ones. Default `'7d'`. Redeliveries later than this run again. */
  readonly retention?: Duration;
  /**
   * How often the inbox prunes by itself: after it records a message, if this long has passed
   * since its last prune started, it prunes in the background (the handler neither waits for it
   * nor sees its errors, which go to `logger`). The first message after start prunes at once.
   * `false` or `0`: never, call `prune()` yourself. Default `'1m'`.
   *
   * @example
   * ```ts
   * createInbox({ db, retention: '3d', pruneInterval: '5m' }); // prunes at most every 5 minutes
   * createInbox({ db, pruneInterval: false });                 // you run inbox.prune() (e.g. from a cron job)
   * ```
   */
  readonly pruneInterval?: Duration | false;
  /** Rows a prune deletes per statement (each its own short transaction). Default 1000. */
  readonly pruneBatchSize?: number;
  /** Where background prune failures go (`warn`) and prune counts (`debug`). Default: core's `defaultLogger` (stderr). */
  readonly logger?: Logger;
}

/** The PostgreSQL inbox: the work runs in a `Transaction<DB>` (the `ctx.trx` of `inbox: true` handlers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PgInbox<DB = any> extends Inbox<Transaction<DB>> {
  /**
   * Deletes ids processed longer ago than the retention window, `pruneBatchSize` rows per
   * statement until a statement deletes fewer (rows another prune holds are left to it), and
   * returns how many it deleted. The inbox already runs
   * this by itself every `pruneInterval`; call it when you turned that off.
   *
   * @example
   * ```ts
   * const inbox = createInbox({ db, pruneInterval: false });
   * cron.schedule('0 * * * *', async () => logger.info({ deleted: await inbox.prune() }, 'inbox pruned'));
   * ```
   */
  prune(): Promise<number>;
  /** See `Inbox.runBatch`: one transaction and one multi-row insert for a batch's ids (what `onBatch(..., { inbox: true })` runs). */
  runBatch<T>(batch: InboxBatch, work: (trx: Transaction<DB>, fresh: ReadonlyArray<string>) => Promise<InboxBatchWork<T>>): Promise<InboxBatchResult<T>>;
}

const DEFAULT_PRUNE_BATCH_SIZE = 1000;

function pruneBatchSizeOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_PRUNE_BATCH_SIZE;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(`Invalid inbox pruneBatchSize ${value}: use a positive integer (default ${DEFAULT_PRUNE_BATCH_SIZE}).`);
  }
  return value;
}

/**
 * Effectively-once processing: `run` opens a transaction, records (consumer, messageId) with
 * `ON CONFLICT DO NOTHING` first, and runs the work in that same transaction only if the row
 * was new. `runBatch` does the same for a batch's ids with one multi-row insert (see
 * `onBatch(..., { inbox: true })`). A duplicate (already committed, or committed by a concurrent copy while this one
 * waited on the row lock) returns `{ duplicate: true }` without running the work. If the work
 * throws, everything rolls back, the id included, so a redelivery runs it again.
 *
 * Ids older than `retention` are pruned in the background every `pruneInterval` (see the options).
 *
 * @example
 * ```ts
 * const db = createPgDatabase<Database>(pool);                 // Kysely<Database>
 * const inbox = createInbox({ db, retention: '7d', logger });    // PgInbox<Database>
 * const metro = createMetro({ service: 'billing', transport, inbox });
 * metro.on(OrderPlaced, async (order, ctx) => {
 *   // ctx.trx: Transaction<Database>, defined because of `inbox: true`
 *   await ctx.trx.insertInto('invoices').values({ orderId: order.orderId }).execute();
 * }, { inbox: true });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createInbox<DB = any>(options: InboxOptions<DB>): PgInbox<DB> {
  const schema = schemaName(options.schema);
  const retentionMs = toMilliseconds(options.retention ?? '7d');
  const pruneIntervalMs = options.pruneInterval === false ? 0 : toMilliseconds(options.pruneInterval ?? '1m');
  const pruneBatchSize = pruneBatchSizeOf(options.pruneBatchSize);
  const logger = childLogger(options.logger ?? defaultLogger, { component: 'inbox', schema });
  // The inbox's own table is not in the app's DB type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = options.db as unknown as Kysely<any>;
  const prune = () => pruneInboxInChunks(db, schema, retentionMs, pruneBatchSize);
  const background = new BackgroundPrune(pruneIntervalMs, prune, logger);
  return {
    async run<T>(key: InboxKey, work: (trx: Transaction<DB>) => Promise<T>): Promise<InboxResult<T>> {
      const result = await db.transaction().execute(async (trx): Promise<InboxResult<T>> => {
        const inserted = await trx
          .withSchema(schema)
          .insertInto('inbox')
          .values({ consumer: key.consumer, message_id: key.messageId })
          .onConflict((oc) => oc.columns(['consumer', 'message_id']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) return { duplicate: true };
        return { duplicate: false, result: await work(trx as unknown as Transaction<DB>) };
      });
      if (!result.duplicate) background.poke();
      return result;
    },
    async runBatch<T>(
      batch: InboxBatch,
      work: (trx: Transaction<DB>, fresh: ReadonlyArray<string>) => Promise<InboxBatchWork<T>>,
    ): Promise<InboxBatchResult<T>> {
      const outcome = await runInboxBatch(db, schema, batch, work as never);
      if (outcome.fresh.length > 0) background.poke();
      return outcome as InboxBatchResult<T>;
    },
    prune,
  };
}
