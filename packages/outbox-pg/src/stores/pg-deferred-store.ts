import { sql, type Kysely, type Transaction } from 'kysely';
import { deferredReplayHeaders, type DeferredQuery, type DeferredRecord, type DeferredStore, type NewDeferred, type Page } from '@metro/core';
import { pageLimit } from './failure-query.js';
import { toDeferredRecord, type DeferredRow } from './deferred-rows.js';
import { schemaName } from '../identifiers.js';
import { insertQueueReplay } from './queue-replay.js';

/** The PostgreSQL deferred-message store: core's {@link DeferredStore} plus `complete` and `resumeThroughOutbox`. */
export interface PgDeferredStore extends DeferredStore {
  /** Deletes a deferred message for good. Returns false if it is not there. */
  complete(seq: number): Promise<boolean>;
  /**
   * Resumes a deferred message through the outbox in ONE transaction: deletes its row
   * (`DELETE ... RETURNING`) and writes its replay into the outbox: the deferred bytes, same
   * message id, to `{ kind: 'queue', queue: record.queue }`, with its headers plus
   * `metro-deferred-seq`, `metro-attempt: 1` and `metro-handler` (only the handler that deferred
   * it runs again). Both writes commit or neither does: a crash or a failed outbox insert leaves
   * the message deferred. Returns false when there is no deferred message with that seq (never
   * deferred, completed, or already resumed), so resuming twice, even at once, sends once.
   * A relay on the same schema delivers it.
   *
   * @example
   * ```ts
   * const deferred = pgDeferredStore(db);
   * const { items } = await deferred.list({ type: 'placed' });
   * if (await deferred.resumeThroughOutbox(items[0]!.seq)) console.log('resumed');
   * ```
   */
  resumeThroughOutbox(seq: number): Promise<boolean>;
}

/**
 * Creates the PostgreSQL deferred-message store (tables from {@link migrate}). Listings are
 * oldest first; `cursor` is the last seq seen.
 *
 * @example
 * ```ts
 * const deferred = pgDeferredStore(db);
 * const metro = createMetro({ service: 'billing', transport, deferred });
 * const { items } = await deferred.list({ type: 'charge' });
 * await deferred.complete(items[0]!.seq);
 * ```
 */
export function pgDeferredStore(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  options: { schema?: string } = {},
): PgDeferredStore {
  const schema = schemaName(options.schema);
  const table = () => db.withSchema(schema);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const takeIn = async (executor: Kysely<any> | Transaction<any>, seq: number): Promise<DeferredRecord | undefined> => {
    const row = (await executor.withSchema(schema).deleteFrom('deferred_messages').where('seq', '=', seq).returningAll().executeTakeFirst()) as
      DeferredRow | undefined;
    return row === undefined ? undefined : toDeferredRecord(row);
  };
  const columns = (message: NewDeferred) => ({
    message_id: message.messageId,
    service: message.service,
    queue: message.queue,
    handler: message.handler,
    type: message.type,
    reason: message.reason,
    correlation_id: message.correlationId,
    envelope: sql`cast(${JSON.stringify(message.envelope)} as jsonb)`,
    body: Buffer.from(message.body),
    content_type: message.contentType,
    headers: sql`cast(${JSON.stringify(message.headers)} as jsonb)`,
  });

  return {
    async defer(message) {
      const row = (await table()
        .insertInto('deferred_messages')
        .values({ ...columns(message), deferred_at: new Date() })
        .returningAll()
        .executeTakeFirstOrThrow()) as DeferredRow;
      return toDeferredRecord(row);
    },

    async get(seq) {
      const row = (await table().selectFrom('deferred_messages').selectAll().where('seq', '=', seq).executeTakeFirst()) as DeferredRow | undefined;
      return row === undefined ? undefined : toDeferredRecord(row);
    },

    async list(query: DeferredQuery = {}): Promise<Page<DeferredRecord>> {
      const limit = pageLimit(query.limit);
      let select = table().selectFrom('deferred_messages').selectAll();
      if (query.type !== undefined) select = select.where('type', '=', query.type);
      if (query.service !== undefined) select = select.where('service', '=', query.service);
      if (query.cursor !== undefined && /^\d+$/.test(query.cursor)) select = select.where('seq', '>', query.cursor);
      const rows = (await select
        .orderBy('seq', 'asc')
        .limit(limit + 1)
        .execute()) as DeferredRow[];
      const items = rows.slice(0, limit).map(toDeferredRecord);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit && last !== undefined ? String(last.seq) : null };
    },

    take: (seq) => takeIn(db, seq),

    async restore(record) {
      await table()
        .insertInto('deferred_messages')
        .values({ ...columns(record), seq: record.seq, deferred_at: record.deferredAt })
        .onConflict((oc) => oc.column('seq').doNothing())
        .execute();
    },

    async complete(seq) {
      const result = await table().deleteFrom('deferred_messages').where('seq', '=', seq).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    resumeThroughOutbox: (seq) =>
      db.transaction().execute(async (trx) => {
        const record = await takeIn(trx, seq);
        if (record === undefined) return false;
        await insertQueueReplay(db, schema, trx, {
          messageId: record.messageId,
          type: record.type,
          queue: record.queue,
          body: record.body,
          contentType: record.contentType,
          headers: deferredReplayHeaders(record),
        });
        return true;
      }),
  };
}
