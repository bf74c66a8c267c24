// @metro/admin-trpc public entry.
export { createAdminRouter } from './router/app-router.js';
export type { AdminRouter, AdminRouterOptions, AdminAppRouter } from './router/app-router.js';
export type { AdminMetro } from './router/deferred.js';
export { createAdminServer } from './server/admin-server.js';
export type { AdminServer, AdminServerOptions } from './server/admin-server.js';
export { tokenAuth, bearerToken } from './auth.js';
export type { Authorizer, AuthRequest, Principal } from './auth.js';
export { ADMIN_ERROR_CODES, AdminAuthRequiredError, AdminServerError, AdminClientError, AdminStaticDirError, MessageDefinitionMissingError } from './errors.js';
export type { AdminErrorCode } from './errors.js';
export type { AdminContext } from './trpc.js';
export type { FailureSummary, FailureDetail, DeferredDto, ScheduledDto, PageDto, JsonValue } from './router/dto.js';
export type { FailureStats } from '@metro/outbox-pg';
export type { OutboxStatsDto } from './router/outbox.js';
export type { QueueSample } from './router/queue-sampler.js';
export type { LiveStats } from './router/subscriptions.js';
export { MAX_BULK_IDS } from './router/inputs.js';
