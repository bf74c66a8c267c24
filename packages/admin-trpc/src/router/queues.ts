import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { adminQuery, router } from '../trpc.js';
import type { QueueSample, QueueSampler } from './queue-sampler.js';

/** The `queues.*` procedures: depth, consumers and rates per configured queue, and recent history. */
export function queuesRouter(sampler: QueueSampler) {
  return router({
    list: adminQuery.query(async (): Promise<QueueSample[]> => {
      try {
        return await sampler.sample();
      } catch (err) {
        throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: `Could not inspect the broker's queues: ${(err as Error).message}` });
      }
    }),
    history: adminQuery.input(z.strictObject({ queue: z.string().min(1).max(255) })).query(({ input }): QueueSample[] => sampler.history(input.queue)),
  });
}
