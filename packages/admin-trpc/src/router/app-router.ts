import { defaultLogger, type HealthSource, type Logger, type MessageDefinition, type Transport } from '@metro/core';
import type { Authorizer, ProcedureType } from '../auth/authorizer.js';
import { permissionsOf, roleName, type Principal } from '../auth/roles.js';
import { AuditTrail, type AuditOptions } from '../audit/audit-trail.js';
import { AdminAuthRequiredError } from '../errors.js';
import { adminQuery, router, type AdminCaller, type AdminContext } from '../trpc.js';
import { auditRouter } from './audit.js';
import { deferredRouter, type AdminMetro } from './deferred.js';
import { createEditValidation } from './edit-validation.js';
import { failedRouter } from './failed.js';
import { healthRouter } from './health.js';
import { FailureFeed } from './failure-feed.js';
import { outboxRouter, type OutboxStatsDto } from './outbox.js';
import { QueueSampler } from './queue-sampler.js';
import { queuesRouter } from './queues.js';
import { sagasRouter } from './sagas.js';
import { scheduledRouter } from './scheduled.js';
import { StatsHistory } from './stats-history.js';
import { LiveStatsHub } from './live-stats-hub.js';
import { createAdminStores, type AnyKysely } from './stores.js';
import { readLiveStats, subscriptionsRouter, type LiveStats } from './subscriptions.js';

/** Options of {@link createAdminRouter}. */
export interface AdminRouterOptions {
  /** Kysely over the PostgreSQL database holding Metro's tables (migrated by outbox-pg and scheduler). */
  readonly db: AnyKysely;
  /** The schema of Metro's tables. Default `'metro'`. */
  readonly schema?: string;
  /**
   * A running bus: `deferred.resume` goes through it (`metro.resumeDeferred`, which a crash between
   * its take and the broker's confirm can lose). Without it, a resume deletes the deferred row and
   * writes its outbox row in one transaction (a relay on the schema delivers it).
   */
  readonly metro?: AdminMetro;
  /**
   * The definitions (`defineEvent` / `defineCommand`) of the messages operators may edit:
   * `failed.editAndRetry` validates the new payload with the schema of the failed message's
   * definition (events by topic and type, commands by service and type) and refuses an invalid
   * one with `BAD_REQUEST` (the schema's issues in the message). Default none.
   *
   * @example
   * ```ts
   * createAdminRouter({ db, authorize, messages: [OrderPlaced, OrderPaid, SendSms] });
   * ```
   */
  readonly messages?: ReadonlyArray<MessageDefinition>;
  /**
   * What `failed.editAndRetry` does with a message whose type has no definition in `messages`:
   * `false` (default) refuses the edit with `PRECONDITION_FAILED` (`MessageDefinitionMissingError`);
   * `true` writes the payload unchecked (only JSON and `__proto__` checks). Plain retries need neither.
   */
  readonly allowUnvalidatedEdits?: boolean;
  /** The transport whose queues `queues.list` inspects (passive declares). */
  readonly transport?: Transport;
  /** The queues to show in `queues.list`. */
  readonly queues?: ReadonlyArray<string>;
  /**
   * Required: who may call, with which roles. Use `tokenAuth`, `jwtAuth` or your own callback.
   * Without it, this throws `AdminAuthRequiredError`.
   */
  readonly authorize: Authorizer;
  /** Where mutations (info), refusals (warn) and failures are logged. Default core's `defaultLogger` (warnings and errors to stderr). */
  readonly logger?: Logger;
  /**
   * The audit trail in `<schema>.admin_audit` (run `migrateAdmin(db)`): every mutation and every
   * refused sign-in; payload reads with `payloadReads: true`. Default on, 90 days of retention.
   */
  readonly audit?: AuditOptions;
  /** The `source` of messages the admin API enqueues (scheduler). Default `'metro-admin'`. */
  readonly source?: string;
  /** How often `live.onFailure` polls for new failures. Default 500 ms. */
  readonly failurePollMs?: number;
  /** How often `live.onStats` pushes. Default 3000 ms. */
  readonly statsIntervalMs?: number;
  /**
   * Components whose health the stats show (`health.report`, and `health` in each `live.onStats`
   * push): buses, outbox relays, scheduler workers, anything with `health()`. Default none (`null`).
   *
   * @example
   * ```ts
   * createAdminRouter({ db, authorize, health: [metro, relay, worker] });
   * ```
   */
  readonly health?: ReadonlyArray<HealthSource>;
}

function buildRouter(options: AdminRouterOptions, logger: Logger, audit: AuditTrail) {
  const schema = options.schema ?? 'metro';
  const stores = createAdminStores(options.db, schema, options.source ?? 'metro-admin');
  const edits = createEditValidation(options.messages ?? [], options.allowUnvalidatedEdits ?? false);
  const feed = new FailureFeed(stores.failures, options.failurePollMs ?? 500, logger);
  const sampler = new QueueSampler(options.transport, options.queues ?? []);
  const outboxHistory = new StatsHistory<OutboxStatsDto>();
  const stats = new LiveStatsHub<LiveStats>(
    () => readLiveStats({ stores, sampler, outboxHistory, logger, health: options.health ?? [] }),
    options.statsIntervalMs ?? 3000,
    logger,
  );
  const appRouter = router({
    session: router({
      /** Who the token belongs to and what it may do: the dashboard's sign-in, and what it shows. */
      whoami: adminQuery.query(({ ctx }) => ({
        principal: ctx.principal.id,
        roles: [...ctx.principal.roles],
        role: roleName(ctx.principal),
        permissions: permissionsOf(ctx.principal),
        expiresAt: ctx.principal.expiresAt?.toISOString() ?? null,
      })),
    }),
    failed: failedRouter(stores, edits),
    deferred: deferredRouter(stores, options.metro),
    scheduled: scheduledRouter(stores),
    sagas: sagasRouter(options.db, schema, stores.scheduler),
    outbox: outboxRouter(stores, outboxHistory),
    queues: queuesRouter(sampler),
    audit: auditRouter(audit),
    health: healthRouter(options.health ?? [], logger),
    live: subscriptionsRouter({ feed, stats }),
  });
  return { appRouter, feed, stats };
}

/** The tRPC router type of the admin API: the client is typed from it. */
export type AdminAppRouter = ReturnType<typeof buildRouter>['appRouter'];

/** What {@link createAdminRouter} returns: the tRPC router plus what the server needs to guard it. */
export interface AdminRouter {
  readonly router: AdminAppRouter;
  readonly authorize: Authorizer;
  readonly logger: Logger;
  /** The audit trail: the server records refused sign-ins in it; `audit.prune()` deletes old entries now. */
  readonly audit: AuditTrail;
  /** A context for a caller (server adapters and `createCaller` use it). */
  createContext(caller: AdminCaller): AdminContext;
  /** The type of a procedure by path (`failed.retry` → `mutation`), `undefined` when there is none. */
  procedureType(path: string): ProcedureType | undefined;
  /** A server-side caller acting as `principal` (with its roles), e.g. for scripts and tests; audited with transport `caller`. */
  createCaller(principal: Principal): ReturnType<AdminAppRouter['createCaller']>;
  /** Stops the live feeds' polling. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Builds the admin API over Metro's PostgreSQL stores. Refuses to build without `authorize`, and
 * throws a `ConfigurationError` when `messages` holds two definitions of one type with different schemas.
 *
 * @example
 * ```ts
 * const admin = createAdminRouter({
 *   db,
 *   authorize: tokenAuth({ ops: { token: process.env.METRO_ADMIN_TOKEN!, roles: ['operator'] } }),
 *   transport,
 *   queues: ['billing'],
 *   messages: [OrderPlaced],
 * });
 * const server = await createAdminServer({ port: 4400, router: admin });
 * ```
 */
export function createAdminRouter(options: AdminRouterOptions): AdminRouter {
  if (typeof options?.authorize !== 'function') throw new AdminAuthRequiredError();
  const logger = options.logger ?? defaultLogger;
  const audit = new AuditTrail(options.db, options.schema ?? 'metro', logger, options.audit);
  const { appRouter, feed, stats } = buildRouter(options, logger, audit);
  const createContext = (caller: AdminCaller): AdminContext => ({ caller, logger, audit });
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: ProcedureType } } | undefined>;
  return {
    router: appRouter,
    authorize: options.authorize,
    logger,
    audit,
    createContext,
    procedureType: (path) => (Object.prototype.hasOwnProperty.call(procedures, path) ? procedures[path]?._def.type : undefined),
    createCaller: (principal) =>
      appRouter.createCaller(createContext({ transport: 'caller', clientAddress: null, principalFor: () => Promise.resolve(principal) })),
    close: async () => {
      await Promise.all([feed.close(), stats.close()]);
    },
  };
}
