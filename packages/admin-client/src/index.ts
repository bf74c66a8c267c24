// @metro/admin-client public entry: the typed client of Metro's admin API. The `metro-admin` CLI
// (src/cli/) is built on it. It loads no server code: the router's types come from
// `@metro/admin-trpc`, an optional peer used for types only.
export { createAdminClient } from './admin-client.js';
export type { AdminClient, AdminClientOptions } from './admin-client.js';
export type { SagaDto } from './saga-dto.js';
export { TRPCClientError } from '@trpc/client';
export type {
  AdminAppRouter,
  FailureSummary,
  FailureDetail,
  DeferredDto,
  ScheduledDto,
  PageDto,
  JsonValue,
  FailureStats,
  OutboxStatsDto,
  QueueSample,
  LiveStats,
} from '@metro/admin-trpc';
