import type { Kysely } from 'kysely';
import { jsonEnvelopeCodec, type Codec, type FailureQuery, type FailureRecord, type FailureStore, type StandardSchemaV1 } from '@metro/core';
import { schemaName } from '../identifiers.js';
import {
  claimFailure,
  deleteFailure,
  deleteFailures,
  releaseFailure,
  resolveFailure,
  restoreFailures,
  retryFailures,
  retryThroughOutbox,
} from './failure-actions.js';
import { getFailure, listFailures } from './failure-listing.js';
import { recordFailure } from './failure-recording.js';
import type { FailureTable } from './failure-rows.js';
import { failureStats, type FailureStats, type FailureStatsBucket } from './failure-stats.js';

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
   * came from: the consumer routes and decodes by them, as on core's own replays). Returns the
   * claimed record, or `undefined` when it is not `failed` (so retrying twice sends once).
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
  /** Undoes deletes: the given ids, or every `deleted` record matching the filter, are `failed` again. Returns how many. */
  restoreMany(filterOrIds: FailureQuery | ReadonlyArray<string>): Promise<number>;
  /**
   * Counts by status, reason, type, error and over time, for records matching the filter (cursor
   * and limit ignored; `byStatus` ignores the status filter). See {@link FailureStats}.
   */
  stats(filter?: FailureQuery, options?: { readonly bucket?: FailureStatsBucket }): Promise<FailureStats>;
}

/**
 * Creates the PostgreSQL failed-message store (tables from {@link migrate}). Its parts:
 * `failure-recording.ts` (the bus records), `failure-listing.ts` (get, list),
 * `failure-actions.ts` (retry, edit, delete), `failure-stats.ts` (counts).
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
  const table: FailureTable = { db, schema: schemaName(options.schema) };
  const codec = options.codec ?? jsonEnvelopeCodec;
  return {
    record: (failure) => recordFailure(table, failure),
    get: (id) => getFailure(table, id),
    list: (query) => listFailures(table, query),
    claimRetry: (id) => claimFailure(db, table.schema, id),
    releaseRetry: (id) => releaseFailure(table, id),
    resolve: (id) => resolveFailure(table, id),
    delete: (id) => deleteFailure(table, id),
    retryThroughOutbox: (id, retryOptions) => retryThroughOutbox(table, codec, id, retryOptions),
    retry: (id) => retryThroughOutbox(table, codec, id),
    editAndRetry: (id, payload, editOptions = {}) =>
      retryThroughOutbox(table, codec, id, { payload, ...(editOptions.schema !== undefined ? { schema: editOptions.schema } : {}) }),
    retryMany: (filterOrIds) => retryFailures(table, codec, filterOrIds),
    deleteMany: (filterOrIds) => deleteFailures(table, filterOrIds),
    restore: async (id) => (await restoreFailures(table, [id])) > 0,
    restoreMany: (filterOrIds) => restoreFailures(table, filterOrIds),
    stats: (filter = {}, statsOptions = {}) => failureStats(db, table.schema, filter, statsOptions.bucket),
  };
}
