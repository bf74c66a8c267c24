import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { MetroHeaders, type DeferredRecord, type DeferredStore, type Logger } from '@metro/core';
import type { PgDeferredStore } from '@metro/outbox-pg';
import { adminMutation, adminQuery, router } from '../trpc.js';
import { toDeferredDto, type DeferredDto, type PageDto } from './dto.js';
import { paging } from './inputs.js';
import type { AdminStores } from './stores.js';

/**
 * What the admin router needs from a running Metro bus to resume a deferred message itself.
 * Without it, resuming goes through the outbox (the record is replayed into its queue).
 */
export interface AdminMetro {
  /** Replays the deferred message into its queue; `false` if it is not there. (`Metro` from @metro/core has it.) */
  resumeDeferred(seq: number): Promise<boolean>;
}

const seqInput = z.strictObject({ seq: z.number().int().positive() });

/** The deferred store the procedures need: `complete`, and the atomic `resumeThroughOutbox` when the store has it. */
export type AdminDeferredStore = DeferredStore & Pick<PgDeferredStore, 'complete'> & Partial<Pick<PgDeferredStore, 'resumeThroughOutbox'>>;

/** The `deferred.*` procedures: list, get, complete, resume. */
export function deferredRouter(stores: Pick<AdminStores, 'outbox' | 'db'> & { readonly deferred: AdminDeferredStore }, metro: AdminMetro | undefined, logger: Logger) {
  const store = stores.deferred;

  /** For a store without `resumeThroughOutbox`: take, then enqueue (restored if the enqueue fails; a crash in between loses it). */
  async function takeAndEnqueue(seq: number): Promise<boolean> {
    const record: DeferredRecord | undefined = await store.take(seq);
    if (!record) return false;
    try {
      await stores.outbox.enqueue(stores.db, record.envelope, {
        destination: { kind: 'queue', queue: record.queue },
        headers: {
          ...record.headers,
          [MetroHeaders.deferredSeq]: Number(record.seq),
          ...(record.handler !== null ? { [MetroHeaders.handler]: record.handler } : {}),
        },
        body: record.body,
        contentType: record.contentType,
      });
      return true;
    } catch (err) {
      logger.error({ seq, err }, 'resuming a deferred message through the outbox failed; restoring it');
      await store.restore(record);
      throw err;
    }
  }

  return router({
    list: adminQuery
      .input(z.strictObject({ type: z.string().max(300).optional(), service: z.string().max(300).optional(), ...paging }).optional())
      .query(async ({ input }): Promise<PageDto<DeferredDto>> => {
        const page = await store.list({
          ...(input?.type !== undefined ? { type: input.type } : {}),
          ...(input?.service !== undefined ? { service: input.service } : {}),
          ...(input?.cursor !== undefined ? { cursor: input.cursor } : {}),
          limit: input?.limit ?? 50,
        });
        return { items: page.items.map(toDeferredDto), nextCursor: page.nextCursor };
      }),

    get: adminQuery.input(seqInput).query(async ({ input }): Promise<DeferredDto> => {
      const record = await store.get(input.seq);
      if (!record) throw new TRPCError({ code: 'NOT_FOUND', message: `No deferred message #${input.seq}. List them with deferred.list.` });
      return toDeferredDto(record);
    }),

    /** Marks it done without running it: removes it from the store. */
    complete: adminMutation.input(seqInput).mutation(async ({ input }) => ({ completed: await store.complete(input.seq) })),

    /** Runs it again: through the bus when `metro` was given, else into its queue through the outbox (one transaction). */
    resume: adminMutation.input(seqInput).mutation(async ({ input }) => {
      if (metro) return { resumed: await metro.resumeDeferred(input.seq) };
      if (store.resumeThroughOutbox !== undefined) return { resumed: await store.resumeThroughOutbox(input.seq) };
      return { resumed: await takeAndEnqueue(input.seq) };
    }),
  });
}
