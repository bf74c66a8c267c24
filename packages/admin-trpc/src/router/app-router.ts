import { defaultLogger, type Logger, type MessageDefinition, type Transport } from '@metro/core';
import type { Authorizer, Principal } from '../auth.js';
import { AdminAuthRequiredError } from '../errors.js';
import { adminQuery, router, type AdminContext } from '../trpc.js';
import { deferredRouter, type AdminMetro } from './deferred.js';
import { createEditValidation } from './edit-validation.js';
import { failedRouter } from './failed.js';
import { FailureFeed } from './failure-feed.js';
import { outboxRouter, type OutboxStatsDto } from './outbox.js';
import { QueueSampler } from './queue-sampler.js';
import { queuesRouter } from './queues.js';
import { scheduledRouter } from './scheduled.js';
import { StatsHistory } from './stats-history.js';
import { createAdminStores, type AnyKysely } from './stores.js';
import { subscriptionsRouter } from './subscriptions.js';

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
  /** Required: who may call. Use {@link tokenAuth} or your own callback. Without it, this throws `AdminAuthRequiredError`. */
  readonly authorize: Authorizer;
  /** Where mutations are logged (with who did them). Default silent. */
  readonly logger?: Logger;
  /** The `source` of messages the admin API enqueues (scheduler). Default `'metro-admin'`. */
  readonly source?: string;
  /** How often `live.onFailure` polls for new failures. Default 500 ms. */
  readonly failurePollMs?: number;
  /** How often `live.onStats` pushes. Default 3000 ms. */
  readonly statsIntervalMs?: number;
}

function buildRouter(options: AdminRouterOptions, logger: Logger) {
  const schema = options.schema ?? 'metro';
  const stores = createAdminStores(options.db, schema, options.source ?? 'metro-admin');
  const edits = createEditValidation(options.messages ?? [], options.allowUnvalidatedEdits ?? false);
  const feed = new FailureFeed(stores.failures, options.failurePollMs ?? 500, logger);
  const sampler = new QueueSampler(options.transport, options.queues ?? []);
  const outboxHistory = new StatsHistory<OutboxStatsDto>();
  const appRouter = router({
    /** Who the token belongs to: the dashboard's login check. */
    session: router({ whoami: adminQuery.query(({ ctx }) => ({ principal: ctx.principal.id })) }),
    failed: failedRouter(stores, edits),
    deferred: deferredRouter(stores, options.metro),
    scheduled: scheduledRouter(stores),
    outbox: outboxRouter(stores, outboxHistory),
    queues: queuesRouter(sampler),
    live: subscriptionsRouter({
      stores,
      feed,
      sampler,
      outboxHistory,
      statsIntervalMs: options.statsIntervalMs ?? 3000,
      logger,
    }),
  });
  return { appRouter, feed };
}

/** The tRPC router type of the admin API: the client is typed from it. */
export type AdminAppRouter = ReturnType<typeof buildRouter>['appRouter'];

/** What {@link createAdminRouter} returns: the tRPC router plus what the server needs to guard it. */
export interface AdminRouter {
  readonly router: AdminAppRouter;
  readonly authorize: Authorizer;
  readonly logger: Logger;
  /** A context for a caller (server adapters and `createCaller` use it). */
  createContext(principal: Principal | null, transport: AdminContext['transport']): AdminContext;
  /** A server-side caller acting as `principal`, e.g. for scripts and tests. */
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
 * const admin = createAdminRouter({ db, authorize: tokenAuth([process.env.METRO_ADMIN_TOKEN!]), transport, queues: ['billing'], messages: [OrderPlaced] });
 * const server = await createAdminServer({ port: 4400, router: admin });
 * ```
 */
export function createAdminRouter(options: AdminRouterOptions): AdminRouter {
  if (typeof options?.authorize !== 'function') throw new AdminAuthRequiredError();
  const logger = options.logger ?? defaultLogger;
  const { appRouter, feed } = buildRouter(options, logger);
  const createContext = (principal: Principal | null, transport: AdminContext['transport']): AdminContext => ({ principal, transport, logger });
  return {
    router: appRouter,
    authorize: options.authorize,
    logger,
    createContext,
    createCaller: (principal) => appRouter.createCaller(createContext(principal, 'caller')),
    close: () => feed.close(),
  };
}
