import type { FailureRecord, Logger } from '@metro/core';
import type { FailureStats } from '@metro/outbox-pg';
import { adminQuery, router } from '../trpc.js';
import { drain, sleep } from './async-queue.js';
import { toFailureSummary, type FailureSummary } from './dto.js';
import type { FailureFeed } from './failure-feed.js';
import { sampleOutbox, type OutboxStatsDto } from './outbox.js';
import type { QueueSample, QueueSampler } from './queue-sampler.js';
import type { StatsHistory } from './stats-history.js';
import type { AdminStores } from './stores.js';

/** What `onStats` pushes every few seconds. */
export interface LiveStats {
  readonly at: string;
  readonly failures: FailureStats['byStatus'];
  readonly outbox: OutboxStatsDto | null;
  readonly queues: QueueSample[];
}

export interface SubscriptionDeps {
  readonly stores: AdminStores;
  readonly feed: FailureFeed;
  readonly sampler: QueueSampler;
  readonly outboxHistory: StatsHistory<OutboxStatsDto>;
  readonly statsIntervalMs: number;
  readonly logger: Logger;
}

/** Reads every live figure once; a part that fails (broker down) is left empty rather than failing the rest. */
export async function readLiveStats(deps: SubscriptionDeps): Promise<LiveStats> {
  const [failures, outbox, queues] = await Promise.all([
    deps.stores.failures.stats().then((s) => s.byStatus),
    sampleOutbox(deps.stores, deps.outboxHistory).catch((err: unknown) => {
      deps.logger.warn({ err }, 'outbox stats failed');
      return null;
    }),
    deps.sampler.sample().catch((err: unknown) => {
      deps.logger.warn({ err }, 'queue sampling failed');
      return [] as QueueSample[];
    }),
  ]);
  return { at: new Date().toISOString(), failures, outbox, queues };
}

/** The `live.*` subscriptions (WebSocket): `onFailure` pushes each new failure, `onStats` the counts every few seconds. */
export function subscriptionsRouter(deps: SubscriptionDeps) {
  return router({
    onFailure: adminQuery.subscription(async function* ({ signal }): AsyncGenerator<FailureSummary> {
      for await (const record of drain<FailureRecord>((push) => deps.feed.subscribe(push), signal)) {
        yield toFailureSummary(record);
      }
    }),

    onStats: adminQuery.subscription(async function* ({ signal }): AsyncGenerator<LiveStats> {
      while (!signal?.aborted) {
        try {
          yield await readLiveStats(deps);
        } catch (err) {
          deps.logger.warn({ err }, 'live stats failed; trying again');
        }
        await sleep(deps.statsIntervalMs, signal);
      }
    }),
  });
}
