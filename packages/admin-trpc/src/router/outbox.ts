import { adminQuery, router } from '../trpc.js';
import type { AdminStores } from './stores.js';
import type { StatsHistory } from './stats-history.js';

/** Outbox figures at one moment. */
export interface OutboxStatsDto {
  readonly pending: number;
  readonly oldestPendingAgeMs: number | null;
  readonly sentLastMinute: number;
  readonly failed: number;
  readonly at: string;
}

/** Reads the outbox figures and records them in the history (for the dashboard's chart). */
export async function sampleOutbox(stores: AdminStores, history: StatsHistory<OutboxStatsDto>): Promise<OutboxStatsDto> {
  const stats = await stores.outboxStats();
  const dto: OutboxStatsDto = {
    pending: Number(stats.pending),
    oldestPendingAgeMs: stats.oldestPendingAgeMs === null ? null : Number(stats.oldestPendingAgeMs),
    sentLastMinute: Number(stats.sentLastMinute),
    failed: Number(stats.failed),
    at: new Date().toISOString(),
  };
  history.push(dto);
  return dto;
}

/** The `outbox.*` procedures: stats (pending, oldest pending age, sent in the last minute) and their recent history. */
export function outboxRouter(stores: AdminStores, history: StatsHistory<OutboxStatsDto>) {
  return router({
    stats: adminQuery.query(() => sampleOutbox(stores, history)),
    history: adminQuery.query((): OutboxStatsDto[] => history.items()),
  });
}
