// @metro/admin-trpc public entry.
export { createAdminRouter } from './router/app-router.js';
export type { AdminRouter, AdminRouterOptions, AdminAppRouter } from './router/app-router.js';
export type { AdminMetro } from './router/deferred.js';
export { createAdminServer } from './server/admin-server.js';
export type { AdminServer, AdminServerOptions, WebSocketLimits, SignInThrottleOptions } from './server/admin-server.js';
export { bearerToken } from './auth/authorizer.js';
export type { Authorizer, AuthRequest, ProcedureCall, ProcedureType } from './auth/authorizer.js';
export { tokenAuth, MIN_TOKEN_LENGTH } from './auth/token-auth.js';
export type { TokenGrant } from './auth/token-auth.js';
export { jwtAuth } from './auth/jwt-auth.js';
export type { JwtAuthOptions } from './auth/jwt-auth.js';
export { ADMIN_ROLES, can, roleName } from './auth/roles.js';
export type { AdminRole, AdminPermission, Principal } from './auth/roles.js';
export { migrateAdmin, adminMigrations } from './audit/audit-migrations.js';
export { AuditTrail } from './audit/audit-trail.js';
export type { AuditOptions } from './audit/audit-trail.js';
export type { AuditEntry, AuditKind, AuditOutcome } from './audit/audit-entry.js';
export {
  ADMIN_ERROR_CODES,
  AdminAuthRequiredError,
  AdminForbiddenError,
  AdminServerError,
  AdminClientError,
  AdminStaticDirError,
  MessageDefinitionMissingError,
} from './errors.js';
export type { AdminErrorCode } from './errors.js';
export type { AdminContext, AdminCaller } from './trpc.js';
export type { FailureSummary, FailureDetail, DeferredDto, ScheduledDto, PageDto, JsonValue } from './router/dto.js';
export type { FailureStats } from '@metro/outbox-pg';
export type { OutboxStatsDto } from './router/outbox.js';
export type { QueueSample } from './router/queue-sampler.js';
export type { LiveStats } from './router/subscriptions.js';
export { MAX_BULK_IDS } from './router/inputs.js';
