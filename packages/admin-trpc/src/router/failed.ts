import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { parseJsonSafely, ValidationError, type FailureQuery, type FailureStatus } from '@metro/core';
import type { FailureStats } from '@metro/outbox-pg';
import { MessageDefinitionMissingError } from '../errors.js';
import { adminMutation, adminQuery, router } from '../trpc.js';
import { recordPayloadRead, seesPayloads } from './payload-access.js';
import { toFailureDetail, toFailureSummary, type FailureDetail, type FailureSummary, type PageDto } from './dto.js';
import { failureFilter, failureId, failureIds, jsonPayload, MAX_BULK_IDS, paging, toFailureQuery } from './inputs.js';
import type { AdminStores } from './stores.js';
import type { EditValidation } from './edit-validation.js';

function notFound(id: string): TRPCError {
  return new TRPCError({ code: 'NOT_FOUND', message: `No failed message with id "${id}". List them with failed.list.` });
}

/** Refuses payloads that carry prototype-pollution keys: a JSON round trip through the safe parser. */
function cleanPayload(payload: unknown): unknown {
  try {
    return parseJsonSafely(JSON.stringify(payload));
  } catch (err) {
    throw new TRPCError({ code: 'BAD_REQUEST', message: `Refused payload: ${(err as Error).message}` });
  }
}

/** Ids of records matching the query, at most {@link MAX_BULK_IDS}; `more` when there are others (call again). */
async function idsMatching(store: AdminStores['failures'], query: FailureQuery): Promise<{ ids: string[]; more: boolean }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...query, limit: 500, ...(cursor !== undefined ? { cursor } : {}) });
    for (const item of page.items) ids.push(item.id);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && ids.length <= MAX_BULK_IDS);
  return { ids: ids.slice(0, MAX_BULK_IDS), more: ids.length > MAX_BULK_IDS || cursor !== undefined };
}

/** Retries ids in chunks, a few chunks at once (each retry is its own claim + outbox transaction). */
async function retryInChunks(store: AdminStores['failures'], ids: string[], chunkSize = 250, concurrency = 4): Promise<{ retried: number; skipped: number }> {
  let retried = 0;
  let skipped = 0;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const chunk = ids.slice(next, next + chunkSize);
      next += chunkSize;
      const result = await store.retryMany(chunk);
      retried += result.retried;
      skipped += result.skipped;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.ceil(ids.length / chunkSize)) }, worker));
  return { retried, skipped };
}

const bulkInput = z.union([z.strictObject({ ids: failureIds }), z.strictObject({ filter: failureFilter })]);

/** A detail without the message's content, for callers that may not read payloads. */
function withoutPayload(detail: FailureDetail): FailureDetail {
  return { ...detail, envelope: null, payload: null, body: '', payloadHidden: true };
}

/** The `failed.*` procedures: list, get, retry, retryMany, editAndRetry, delete, deleteMany, restore, restoreMany, stats. */
export function failedRouter(stores: AdminStores, edits: EditValidation) {
  const store = stores.failures;
  return router({
    /** Newest first; filter by type, topic, service, queue, reason, status, error text and time range. */
    list: adminQuery
      .input(z.strictObject({ filter: failureFilter.optional(), ...paging }).optional())
      .query(async ({ input }): Promise<PageDto<FailureSummary>> => {
        const page = await store.list({
          ...toFailureQuery(input?.filter),
          ...(input?.cursor !== undefined ? { cursor: input.cursor } : {}),
          limit: input?.limit ?? 50,
        });
        return { items: page.items.map(toFailureSummary), nextCursor: page.nextCursor };
      }),

    /** One failure in full; the payload, envelope and body only for callers that may read payloads (else `payloadHidden`). */
    get: adminQuery.input(z.strictObject({ id: failureId })).query(async ({ ctx, input, path }): Promise<FailureDetail> => {
      const record = await store.get(input.id);
      if (!record) throw notFound(input.id);
      if (!seesPayloads(ctx.principal)) return withoutPayload(toFailureDetail(record));
      await recordPayloadRead(ctx, path, [record.id]);
      return toFailureDetail(record);
    }),

    /** Replays one failure into its queue through the outbox; a second retry of the same failure sends nothing. */
    retry: adminMutation.input(z.strictObject({ id: failureId })).mutation(async ({ input }) => {
      const record = await store.retryThroughOutbox(input.id, {});
      if (!record) {
        const existing = await store.get(input.id);
        if (!existing) throw notFound(input.id);
        return { retried: false, status: existing.status };
      }
      return { retried: true, status: 'retried' as const };
    }),

    /**
     * Retries by ids or by filter (only `failed` records are retried, at most 10,000 per call:
     * `more: true` says others match, call again); returns counts.
     */
    retryMany: adminMutation.input(bulkInput).mutation(async ({ input }) => {
      const { ids, more } =
        'ids' in input ? { ids: [...new Set(input.ids)], more: false } : await idsMatching(store, { ...toFailureQuery(input.filter), status: 'failed' });
      return { ...(await retryInChunks(store, ids)), more };
    }),

    /**
     * Replaces the payload (JSON, no `__proto__`, valid against the message's definition from the
     * router's `messages`) and retries. An invalid payload is `BAD_REQUEST` (`ValidationError`), an
     * unknown type `PRECONDITION_FAILED` (`MessageDefinitionMissingError`) unless `allowUnvalidatedEdits`.
     */
    editAndRetry: adminMutation.input(z.strictObject({ id: failureId, payload: jsonPayload })).mutation(async ({ input }) => {
      const payload = cleanPayload(input.payload);
      const existing = await store.get(input.id);
      if (!existing) throw notFound(input.id);
      if (existing.envelope === null) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'This message could not be decoded, so it has no payload to edit. Retry it as is, or delete it.' });
      }
      try {
        const schemaOfPayload = edits.schemaFor(input.id, existing.envelope);
        const record = await store.editAndRetry(input.id, payload, schemaOfPayload !== undefined ? { schema: schemaOfPayload } : {});
        return { retried: record !== undefined, status: record ? ('retried' as const) : existing.status };
      } catch (err) {
        if (err instanceof ValidationError) throw new TRPCError({ code: 'BAD_REQUEST', message: err.message, cause: err });
        if (err instanceof MessageDefinitionMissingError) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: err.message, cause: err });
        throw err;
      }
    }),

    delete: adminMutation.input(z.strictObject({ id: failureId })).mutation(async ({ input }) => {
      return { deleted: await store.delete(input.id) };
    }),

    /** Soft-deletes by ids or by filter (at most 10,000 per call by filter: `more: true` says call again); `failed.restoreMany` undoes it. */
    deleteMany: adminMutation.input(bulkInput).mutation(async ({ input }) => {
      if ('ids' in input) return { deleted: await store.deleteMany([...input.ids]), more: false };
      const query = toFailureQuery(input.filter);
      // Already deleted records are not deleted again; no status means every status but deleted.
      const statuses = query.status === undefined ? undefined : [query.status].flat().filter((s): s is FailureStatus => s !== 'deleted');
      const { ids, more } = statuses?.length === 0 ? { ids: [], more: false } : await idsMatching(store, { ...query, status: statuses });
      return { deleted: ids.length === 0 ? 0 : await store.deleteMany(ids), more };
    }),

    /** Undoes a soft delete: the failure is `failed` again (ready to retry). `restored: false` when it is not deleted. */
    restore: adminMutation.input(z.strictObject({ id: failureId })).mutation(async ({ input }) => {
      const restored = await store.restore(input.id);
      if (!restored && !(await store.get(input.id))) throw notFound(input.id);
      return { restored };
    }),

    /** Restores deleted failures by ids or by filter (at most 10,000 per call by filter: `more: true` says call again). */
    restoreMany: adminMutation.input(bulkInput).mutation(async ({ input }) => {
      if ('ids' in input) return { restored: await store.restoreMany([...input.ids]), more: false };
      const { ids, more } = await idsMatching(store, { ...toFailureQuery(input.filter), status: 'deleted' });
      return { restored: ids.length === 0 ? 0 : await store.restoreMany(ids), more };
    }),

    /** Counts by status, type, error and over time (hourly or per-minute buckets). */
    stats: adminQuery
      .input(z.strictObject({ filter: failureFilter.optional(), bucket: z.enum(['minute', 'hour', 'day']).optional() }).optional())
      .query(async ({ input }): Promise<FailureStats> => store.stats(toFailureQuery(input?.filter), { bucket: input?.bucket ?? 'hour' })),
  });
}
