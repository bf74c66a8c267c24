import { sql, type Kysely, type Transaction } from 'kysely';
import {
  failureReplayHeaders,
  MetroHeaders,
  validate,
  type Codec,
  type Envelope,
  type FailureQuery,
  type FailureRecord,
  type StandardSchemaV1,
} from '@metro/core';
import { FailureNotEditableError } from '../errors.js';
import { failureWhere } from './failure-query.js';
import { failureIds } from './failure-listing.js';
import { toFailureRecord, type FailureRow, type FailureTable } from './failure-rows.js';
import { insertQueueReplay } from './queue-replay.js';

/** Options of {@link retryThroughOutbox}: a replacement payload, and the schema to check it with. */
export interface FailureRetryOptions {
  readonly payload?: unknown;
  readonly schema?: StandardSchemaV1;
}

/**
 * Claims a `failed` record for a retry through `executor` (status `retried`, one more retry
 * counted); `undefined` when it is not `failed`, so two claims of one record get it once.
 *
 * @example
 * ```ts
 * const record = await claimFailure(trx, 'metro', id);
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function claimFailure(executor: Kysely<any> | Transaction<any>, schema: string, id: string): Promise<FailureRecord | undefined> {
  const row = (await executor
    .withSchema(schema)
    .updateTable('failed_messages')
    .set({ status: 'retried', retry_count: sql`retry_count + 1`, retried_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .returningAll()
    .executeTakeFirst()) as FailureRow | undefined;
  return row === undefined ? undefined : toFailureRecord(row);
}

/** Gives back a claim whose replay could not be sent: the record is `failed` again (see `FailureStore.releaseRetry`). */
export async function releaseFailure({ db, schema }: FailureTable, id: string): Promise<void> {
  await db
    .withSchema(schema)
    .updateTable('failed_messages')
    .set({ status: 'failed', retry_count: sql`greatest(retry_count - 1, 0)` })
    .where('id', '=', id)
    .where('status', '=', 'retried')
    .execute();
}

/** A retried record's replay was handled: the record is `resolved`. */
export async function resolveFailure({ db, schema }: FailureTable, id: string): Promise<void> {
  await db
    .withSchema(schema)
    .updateTable('failed_messages')
    .set({ status: 'resolved', resolved_at: new Date() })
    .where('id', '=', id)
    .where('status', '=', 'retried')
    .execute();
}

/**
 * Claims a `failed` record and writes its replay into the outbox in one transaction (see
 * `PgFailureStore.retryThroughOutbox`); with `payload`, the envelope is re-encoded with it (after
 * `schema` validated it) and the record keeps the edit.
 *
 * @example
 * ```ts
 * await retryThroughOutbox({ db, schema: 'metro' }, jsonEnvelopeCodec, id, { payload: { orderId: '1' } });
 * ```
 */
export async function retryThroughOutbox(
  { db, schema }: FailureTable,
  codec: Codec,
  id: string,
  options: FailureRetryOptions = {},
): Promise<FailureRecord | undefined> {
  return db.transaction().execute(async (trx) => {
    const record = await claimFailure(trx, schema, id);
    if (record === undefined) return undefined;
    const headers = failureReplayHeaders(record);
    let body = record.body;
    let contentType = record.contentType;
    let envelope = record.envelope;
    if ('payload' in options) {
      if (envelope === null) throw new FailureNotEditableError(id);
      const data = options.schema !== undefined ? await validate(options.schema, options.payload, `Edited payload of failed message ${id}`) : options.payload;
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
}

/**
 * Retries the given ids, or every `failed` record matching the filter, one transaction each.
 *
 * @example
 * ```ts
 * const { retried, skipped } = await retryFailures(table, codec, { type: 'placed' });
 * ```
 */
export async function retryFailures(
  table: FailureTable,
  codec: Codec,
  filterOrIds: FailureQuery | ReadonlyArray<string>,
): Promise<{ retried: number; skipped: number }> {
  const ids = await failureIds(table, filterOrIds, 'failed');
  let retried = 0;
  for (const id of ids) if ((await retryThroughOutbox(table, codec, id)) !== undefined) retried++;
  return { retried, skipped: ids.length - retried };
}

/** Marks one record `deleted`; `false` when it is not there or already deleted. */
export async function deleteFailure({ db, schema }: FailureTable, id: string): Promise<boolean> {
  const result = await db
    .withSchema(schema)
    .updateTable('failed_messages')
    .set({ status: 'deleted' })
    .where('id', '=', id)
    .where('status', '<>', 'deleted')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Marks the given ids, or every record matching the filter, `deleted`, in one statement; returns how many.
 *
 * @example
 * ```ts
 * const deleted = await deleteFailures(table, { reason: 'decode' });
 * ```
 */
export async function deleteFailures({ db, schema }: FailureTable, filterOrIds: FailureQuery | ReadonlyArray<string>): Promise<number> {
  let update = db.withSchema(schema).updateTable('failed_messages').set({ status: 'deleted' }).where('status', '<>', 'deleted');
  if (Array.isArray(filterOrIds)) {
    const ids = filterOrIds as ReadonlyArray<string>;
    if (ids.length === 0) return 0;
    update = update.where('id', 'in', [...ids]);
  } else {
    update = update.where((eb) => failureWhere(eb, filterOrIds as FailureQuery, false));
  }
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Undoes deletes: the given ids, or every `deleted` record matching the filter, are `failed`
 * again, in one statement; returns how many. (`FailureStore.restore` is this with one id.)
 *
 * @example
 * ```ts
 * const restored = await restoreFailures(table, [id]);
 * ```
 */
export async function restoreFailures({ db, schema }: FailureTable, filterOrIds: FailureQuery | ReadonlyArray<string>): Promise<number> {
  let update = db.withSchema(schema).updateTable('failed_messages').set({ status: 'failed' }).where('status', '=', 'deleted');
  if (Array.isArray(filterOrIds)) {
    const ids = filterOrIds as ReadonlyArray<string>;
    if (ids.length === 0) return 0;
    update = update.where('id', 'in', [...ids]);
  } else {
    update = update.where((eb) => failureWhere(eb, { ...(filterOrIds as FailureQuery), status: 'deleted' }, false));
  }
  const result = await update.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
