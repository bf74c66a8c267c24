import type { FailureRecord, HealthReport, HealthSource, Logger } from '@metro/core';
import type { FailureStats } from '@metro/outbox-pg';
import { adminQuery, router } from '../trpc.js';
import { drain } from './async-queue.js';
import { toFailureSummary, type FailureSummary } from './dto.js';
import type { FailureFeed } from './failure-feed.js';
import { readHealth } from './health.js';
import { guardedLive } from './live-guard.js';
import type { LiveStatsHub } from './live-stats-hub.js';
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
  /** The readiness report of the components given to `createAdminRouter({ health })`; `null` without any. */
  readonly health: HealthReport | null;
}

/** What {@link readLiveStats} reads from. */
export interface LiveStatsSources {
  readonly stores: AdminStores;
  readonly sampler: QueueSampler;
  readonly outboxHistory: StatsHistory<OutboxStatsDto>;
  readonly logger: Logger;
  /** Components to check (their reports are combined). */
  readonly health: ReadonlyArray<HealthSource>;
}

/** Reads every live figure once; a part that fails (broker down) is left empty rather than failing the rest. */
export async function readLiveStats(deps: LiveStatsSources): Promise<LiveStats> {
  const [failures, outbox, queues, health] = await Promise.all([
    deps.stores.failures.stats().then((s) => s.byStatus),
    sampleOutbox(deps.stores, deps.outboxHistory).catch((err: unknown) => {
      deps.logger.warn({ err }, 'outbox stats failed');
      return null;
    }),
    deps.sampler.sample().catch((err: unknown) => {
      deps.logger.warn({ err }, 'queue sampling failed');
      return [] as QueueSample[];
    }),
    readHealth(deps.health, deps.logger),
  ]);
  return { at: new Date().toISOString(), failures, outbox, queues, health };
}

/** What the live subscriptions read from: the failure feed and the shared stats poll. */
export interface SubscriptionDeps {
  readonly feed: FailureFeed;
  readonly stats: LiveStatsHub<LiveStats>;
}

/**
 * The `live.*` subscriptions (WebSocket): `onFailure` pushes each new failure, `onStats` the
 * counts every few seconds (one shared database poll for every subscriber). Each counts against
 * the socket's subscription cap and ends when its principal stops being valid.
 */
export function subscriptionsRouter(deps: SubscriptionDeps) {
  return router({
    onFailure: adminQuery.subscription(({ ctx, path, signal }) =>
      guardedLive<FailureSummary>(ctx, path, signal, async function* (inner) {
        for await (const record of drain<FailureRecord>((push) => deps.feed.subscribe(push), inner)) yield toFailureSummary(record);
      }),
    ),

    onStats: adminQuery.subscription(({ ctx, path, signal }) =>
      guardedLive<LiveStats>(ctx, path, signal, (inner) => drain<LiveStats>((push) => deps.stats.subscribe(push), inner, 2)),
    ),
  });
}
