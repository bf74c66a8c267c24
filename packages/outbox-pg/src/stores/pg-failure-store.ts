import { sql, type Kysely, type Transaction } from 'kysely';
import {
  failureReplayHeaders,
  jsonEnvelopeCodec,
  MetroHeaders,
  uuidv7,
  validate,
  type Codec,
  type Envelope,
  type FailureQuery,
  type FailureRecord,
  type FailureStatus,
  type FailureStore,
  type NewFailure,
  type Page,
  type StandardSchemaV1,
} from '@metro/core';
import { FailureNotEditableError } from '../errors.js';
import { failureStats, type FailureStats, type FailureStatsBucket } from './failure-stats.js';
import { failureWhere, pageLimit } from './failure-query.js';
import { encodeFailureCursor, toFailureRecord, type FailureRow } from './failure-rows.js';
import { schemaName } from '../identifiers.js';
import { insertQueueReplay } from './queue-replay.js';

/** Options of {@link pgFailureStore}. */
export interface PgFailureStoreOptions {
  /** Schema of Metro's tables (the outbox must be in the same one). Default `metro`. */
  readonly schema?: string;
  /** Codec used to re-encode an edited envelope. Default: Metro's CloudEvents JSON codec. */
  readonly codec?: Codec;
}

/** The PostgreSQL failure store: core's {@link FailureStore} plus operator actions. */
export interface PgFailureStore extends FailureStore {
  /**
   * Claims a `failed` record and writes its replay into the outbox in ONE transaction: the
   * original bytes (or, with `payload`, the envelope re-encoded with that data), same message
   * id, to `{ kind: 'queue', queue: record.queue }` with headers `metro-failure-id`,
   * `metro-handler` and `metro-attempt: 1`, and `metro-topic` / `metro-subject` (where it first
   * came from: the consumer routes and decodes by them, as on core's own replays). Returns the claimed record, or `undefined` when it
   * is not `failed` (so retrying twice sends once).
   */
  retryThroughOutbox(id: string, options?: { payload?: unknown; schema?: StandardSchemaV1 }): Promise<FailureRecord | undefined>;
  /** Same as {@link PgFailureStore.retryThroughOutbox} without options. */
  retry(id: string): Promise<FailureRecord | undefined>;
  /** Retries the given ids, or every `failed` record matching the filter. */
  retryMany(filterOrIds: FailureQuery | ReadonlyArray<string>): Promise<{ retried: number; skipped: number }>;
  /**
   * Replaces the payload and retries, like {@link PgFailureStore.retryThroughOutbox} with
   * `payload`. With `schema` the payload is validated first (a `ValidationError` writes nothing);
   * without one it is written unchecked, so pass the message definition's schema whenever the
   * payload comes from a person or another system.
   */
  editAndRetry(id: string, payload: unknown, options?: { schema?: StandardSchemaV1 }): Promise<FailureRecord | undefined>;
  /** Marks the given ids, or every record matching the filter, `deleted`. Returns how many. */
  deleteMany(filterOrIds: FailureQuery | ReadonlyArray<string>): Promise<number>;
  /**
   * Counts by status, reason, type, error and over time, for records matching the filter (cursor
   * and limit ignored; `byStatus` ignores the status filter). See {@link FailureStats}.
   */
  stats(filter?: FailureQuery, options?: { readonly bucket?: FailureStatsBucket }): Promise<FailureStats>;
}

/**
 * Creates the PostgreSQL failed-message store (tables from {@link migrate}).
 *
 * @example
 * ```ts
 * const failures = pgFailureStore(db);
 * const metro = createMetro({ service: 'billing', transport, failures });
 * const page = await failures.list({ type: 'placed', text: 'timeout' });
 * await failures.retry(page.items[0]!.id); // replayed through the outbox, once
 * ```
 */
export function pgFailureStore(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  options: PgFailureStoreOptions = {},
): PgFailureStore {
  const schema = schemaName(options.schema);
  const codec = options.codec ?? jsonEnvelopeCodec;
  const table = () => db.withSchema(schema);

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const claimIn = async (executor: Kysely<any> | Transaction<any>, id: string): Promise<FailureRecord | undefined> => {
    const row = (await executor
      .withSchema(schema)
      .updateTable('failed_messages')
      .set({ status: 'retried', retry_count: sql`retry_count + 1`, retried_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', 'failed')
      .returningAll()
      .executeTakeFirst()) as FailureRow | undefined;
    return row === undefined ? undefined : toFailureRecord(row);
  };

  const retryThroughOutbox: PgFailureStore['retryThroughOutbox'] = async (id, retryOptions = {}) =>
    db.transaction().execute(async (trx) => {
      const record = await claimIn(trx, id);
      if (record === undefined) return undefined;
      const headers = failureReplayHeaders(record);
      let body = record.body;
      let contentType = record.contentType;
      let envelope = record.envelope;
      if ('payload' in retryOptions) {
        if (envelope === null) throw new FailureNotEditableError(id);
        const data = retryOptions.schema !== undefined ? await validate(retryOptions.schema, retryOptions.payload, `Edited payload of failed message ${id}`) : retryOptions.payload;
        envelope = { ...envelope, data } as Envelope;
        const encoded = codec.encode(envelope);
        body = encoded.body;
        contentType = encoded.contentType;
        Object.assign(headers, encoded.headers, { [MetroHeaders.failureId]: record.id, [MetroHeaders.attempt]: 1 });
        await trx
          .withSchema(schema)
          .updateTable('failed_messages')
          .set({ envelope: sql`cast(${JSON.stringify(envelope)} as jsonb)`, body: Buffer.from(body), content_type: contentType })
          .where('id', '=', id)
          .execute();
      }
      await insertQueueReplay(db, schema, trx, { messageId: record.messageId, type: record.type, queue: record.queue, body, contentType, headers });
      return { ...record, envelope, body, contentType };
    });

  const list = async (query: FailureQuery = {}): Promise<Page<FailureRecord>> => {
    const limit = pageLimit(query.limit);
    const rows = (await table()
      .selectFrom('failed_messages')
      .selectAll()
      .where((eb) => failureWhere(eb, query, true))
      .orderBy('last_failed_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute()) as FailureRow[];
    const items = rows.slice(0, limit).map(toFailureRecord);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last !== undefined ? encodeFailureCursor(last) : null };
  };

  const idsOf = async (filterOrIds: FailureQuery | ReadonlyArray<string>, status: FailureQuery['status']): Promise<string[]> => {
    if (Array.isArray(filterOrIds)) return [...(filterOrIds as ReadonlyArray<string>)];
    const rows = await table()
      .selectFrom('failed_messages')
      .select('id')
      .where((eb) => failureWhere(eb, { ...(filterOrIds as FailureQuery), status }, false))
      .orderBy('last_failed_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((r) => String(r.id));
  };

  return {
    async record(failure: NewFailure): Promise<FailureRecord> {
      const now = new Date();
      const values = {
        id: uuidv7(now.getTime()),
        message_id: failure.messageId,
        service: failure.service,
        queue: failure.queue,
        handler: failure.handler,
        handler_key: failure.handler ?? '',
        reason: failure.reason,
        type: failure.type,
        topic: failure.topic,
        correlation_id: failure.correlationId,
        envelope: failure.envelope === null ? null : sql`cast(${JSON.stringify(failure.envelope)} as jsonb)`,
        body: Buffer.from(failure.body),
        content_type: failure.contentType,
        headers: sql`cast(${JSON.stringify(failure.headers)} as jsonb)`,
        error_name: failure.error.name,
        error_code: failure.error.code ?? null,
        error_message: failure.error.message,
        error_stack: failure.error.stack ?? null,
        attempts: failure.attempts,
        status: 'failed',
        first_failed_at: now,
        last_failed_at: now,
        retry_count: 0,
      };
      const row = (await table()
        .insertInto('failed_messages')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['message_id', 'queue', 'handler_key']).doUpdateSet((eb) => ({
            attempts: sql`${sql.ref('failed_messages.attempts')} + ${eb.ref('excluded.attempts')}`,
            last_failed_at: eb.ref('excluded.last_failed_at'),
            status: 'failed',
            resolved_at: null,
            service: eb.ref('excluded.service'),
            handler: eb.ref('excluded.handler'),
            reason: eb.ref('excluded.reason'),
            type: eb.ref('excluded.type'),
            topic: eb.ref('excluded.topic'),
            correlation_id: eb.ref('excluded.correlation_id'),
            envelope: eb.ref('excluded.envelope'),
            body: eb.ref('excluded.body'),
            content_type: eb.ref('excluded.content_type'),
            headers: eb.ref('excluded.headers'),
            error_name: eb.ref('excluded.error_name'),
            error_code: eb.ref('excluded.error_code'),
            error_message: eb.ref('excluded.error_message'),
            error_stack: eb.ref('excluded.error_stack'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow()) as FailureRow;
      return toFailureRecord(row);
    },

    async get(id) {
      const row = (await table().selectFrom('failed_messages').selectAll().where('id', '=', id).executeTakeFirst()) as FailureRow | undefined;
      return row === undefined ? undefined : toFailureRecord(row);
    },

    list,

    claimRetry: (id) => claimIn(db, id),

    async releaseRetry(id) {
      await table()
        .updateTable('failed_messages')
        .set({ status: 'failed', retry_count: sql`greatest(retry_count - 1, 0)` })
        .where('id', '=', id)
        .where('status', '=', 'retried')
        .execute();
    },

    async resolve(id) {
      await table().updateTable('failed_messages').set({ status: 'resolved', resolved_at: new Date() }).where('id', '=', id).where('status', '=', 'retried').execute();
    },

    async delete(id) {
      const result = await table().updateTable('failed_messages').set({ status: 'deleted' }).where('id', '=', id).where('status', '<>', 'deleted').executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    retryThroughOutbox,
    retry: (id) => retryThroughOutbox(id),
    editAndRetry: (id, payload, editOptions = {}) => retryThroughOutbox(id, { payload, ...(editOptions.schema !== undefined ? { schema: editOptions.schema } : {}) }),

    async retryMany(filterOrIds) {
      const ids = await idsOf(filterOrIds, 'failed');
      let retried = 0;
      for (const id of ids) if ((await retryThroughOutbox(id)) !== undefined) retried++;
      return { retried, skipped: ids.length - retried };
    },

    async deleteMany(filterOrIds) {
      let update = table().updateTable('failed_messages').set({ status: 'deleted' }).where('status', '<>', 'deleted');
      if (Array.isArray(filterOrIds)) {
        const ids = filterOrIds as ReadonlyArray<string>;
        if (ids.length === 0) return 0;
        update = update.where('id', 'in', [...ids]);
      } else {
        update = update.where((eb) => failureWhere(eb, filterOrIds as FailureQuery, false));
      }
      const result = await update.executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    stats: (filter = {}, options = {}) => failureStats(db, schema, filter, options.bucket),
  };
}
