import { z } from 'zod';
import { adminMutation, adminQuery, router } from '../trpc.js';
import { toScheduledDto, type ScheduledDto, type PageDto } from './dto.js';
import { paging, tags } from './inputs.js';
import type { AdminStores } from './stores.js';

const scheduledId = z.string().min(1).max(200);

/** The `scheduled.*` procedures: list, cancel (by id), cancelByTags, reschedule. */
export function scheduledRouter(stores: AdminStores) {
  const scheduler = stores.scheduler;
  return router({
    list: adminQuery
      .input(
        z
          .strictObject({
            type: z.string().max(300).optional(),
            status: z.enum(['pending', 'fired', 'cancelled']).optional(),
            tags: tags.optional(),
            ...paging,
          })
          .optional(),
      )
      .query(async ({ input }): Promise<PageDto<ScheduledDto>> => {
        const page = await scheduler.list({
          ...(input?.type !== undefined ? { type: input.type } : {}),
          ...(input?.status !== undefined ? { status: input.status } : {}),
          ...(input?.tags !== undefined ? { tags: input.tags } : {}),
          ...(input?.cursor !== undefined ? { cursor: input.cursor } : {}),
          limit: input?.limit ?? 50,
        });
        return { items: page.items.map(toScheduledDto), nextCursor: page.nextCursor };
      }),

    cancel: adminMutation.input(z.strictObject({ id: scheduledId })).mutation(async ({ input }) => ({
      cancelled: await scheduler.cancelById(input.id),
    })),

    /** Cancels every pending message of a type whose tags include all the given tags (compared as strings). */
    cancelByTags: adminMutation
      .input(z.strictObject({ type: z.string().min(1).max(300), tags: tags.refine((t) => Object.keys(t).length > 0, { message: 'Give at least one tag' }) }))
      .mutation(async ({ input }) => ({ cancelled: await scheduler.cancel({ type: input.type, tags: input.tags }) })),

    reschedule: adminMutation
      .input(
        z.strictObject({
          id: scheduledId,
          at: z
            .string()
            .max(40)
            .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'Expected an ISO-8601 date' }),
        }),
      )
      .mutation(async ({ input }) => ({ rescheduled: await scheduler.reschedule(input.id, new Date(input.at)) })),
  });
}
