import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { adminMutation, adminQuery, router } from '../trpc.js';
import { hidePayload, toDeferredDto, type DeferredDto, type PageDto } from './dto.js';
import { recordPayloadRead, seesPayloads } from './payload-access.js';
import { text } from './inputs.js';
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

/** A deferred listing's cursor: the last seq seen (`nextCursor`). */
const seqCursor = z.string().regex(/^\d{1,19}$/, { message: 'cursor: pass the nextCursor of the previous page (a seq)' });

const seqInput = z.strictObject({ seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/** The `deferred.*` procedures: list, get, complete, resume. */
export function deferredRouter(stores: AdminStores, metro: AdminMetro | undefined) {
  const store = stores.deferred;

  return router({
    list: adminQuery
      .input(z.strictObject({ type: text(300).optional(), service: text(300).optional(), ...paging, cursor: seqCursor.optional() }).optional())
      .query(async ({ ctx, input, path }): Promise<PageDto<DeferredDto>> => {
        const page = await store.list({
          ...(input?.type !== undefined ? { type: input.type } : {}),
          ...(input?.service !== undefined ? { service: input.service } : {}),
          ...(input?.cursor !== undefined ? { cursor: input.cursor } : {}),
          limit: input?.limit ?? 50,
        });
        const items = page.items.map(toDeferredDto);
        if (!seesPayloads(ctx.principal)) return { items: items.map(hidePayload), nextCursor: page.nextCursor };
        await recordPayloadRead(
          ctx,
          path,
          items.map((d) => d.seq),
        );
        return { items, nextCursor: page.nextCursor };
      }),

    get: adminQuery.input(seqInput).query(async ({ ctx, input, path }): Promise<DeferredDto> => {
      const record = await store.get(input.seq);
      if (!record) throw new TRPCError({ code: 'NOT_FOUND', message: `No deferred message #${input.seq}. List them with deferred.list.` });
      if (!seesPayloads(ctx.principal)) return hidePayload(toDeferredDto(record));
      await recordPayloadRead(ctx, path, [input.seq]);
      return toDeferredDto(record);
    }),

    /** Marks it done without running it: removes it from the store. */
    complete: adminMutation.input(seqInput).mutation(async ({ input }) => ({ completed: await store.complete(input.seq) })),

    /** Runs it again: through the bus when `metro` was given, else into its queue through the outbox (one transaction). */
    resume: adminMutation.input(seqInput).mutation(async ({ input }) => {
      if (metro) return { resumed: await metro.resumeDeferred(input.seq) };
      return { resumed: await store.resumeThroughOutbox(input.seq) };
    }),
  });
}
