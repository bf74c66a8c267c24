import { z } from 'zod';
import { adminMutation, adminQuery, router } from '../trpc.js';
import { hidePayload, toScheduledDto, type ScheduledDto, type PageDto } from './dto.js';
import { isoDate, paging, tags, text } from './inputs.js';
import { recordPayloadRead, seesPayloads } from './payload-access.js';
import type { AdminStores } from './stores.js';

const scheduledId = text(200).min(1);

/** The `scheduled.*` procedures: list, cancel (by id), cancelByTags, reschedule. */
export function scheduledRouter(stores: AdminStores) {
  const scheduler = stores.scheduler;
  return router({
    list: adminQuery
      .input(
        z
          .strictObject({
            type: text(300).optional(),
            status: z.enum(['pending', 'fired', 'cancelled']).optional(),
            tags: tags.optional(),
            ...paging,
          })
          .optional(),
      )
      .query(async ({ ctx, input, path }): Promise<PageDto<ScheduledDto>> => {
        const page = await scheduler.list({
          ...(input?.type !== undefined ? { type: input.type } : {}),
          ...(input?.status !== undefined ? { status: input.status } : {}),
          ...(input?.tags !== undefined ? { tags: input.tags } : {}),
          ...(input?.cursor !== undefined ? { cursor: input.cursor } : {}),
          limit: input?.limit ?? 50,
        });
        const items = page.items.map(toScheduledDto);
        if (!seesPayloads(ctx.principal)) return { items: items.map(hidePayload), nextCursor: page.nextCursor };
        await recordPayloadRead(
          ctx,
          path,
          items.map((s) => s.id),
        );
        return { items, nextCursor: page.nextCursor };
      }),

    cancel: adminMutation.input(z.strictObject({ id: scheduledId })).mutation(async ({ input }) => ({
      cancelled: await scheduler.cancelById(input.id),
    })),

    /** Cancels every pending message of a type whose tags include all the given tags (compared as strings). */
    cancelByTags: adminMutation
      .input(z.strictObject({ type: text(300).min(1), tags: tags.refine((t) => Object.keys(t).length > 0, { message: 'Give at least one tag' }) }))
      .mutation(async ({ input }) => ({ cancelled: await scheduler.cancel({ type: input.type, tags: input.tags }) })),

    reschedule: adminMutation
      .input(
        z.strictObject({
          id: scheduledId,
          at: isoDate,
        }),
      )
      .mutation(async ({ input }) => ({ rescheduled: await scheduler.reschedule(input.id, new Date(input.at)) })),
  });
}
