import type { Kysely } from 'kysely';
import { silentLogger, type Logger, type Transport } from '@metro/core';
import type { Authorizer, Principal } from '../auth.js';
import { AdminAuthRequiredError } from '../errors.js';
import { adminQuery, router, type AdminContext } from '../trpc.js';
import { deferredRouter, type AdminMetro } from './deferred.js';
import { failedRouter } from './failed.js';
import { FailureFeed } from './failure-feed.js';
import { outboxRouter, type OutboxStatsDto } from './outbox.js';
import { QueueSampler } from './queue-sampler.js';
import { queuesRouter } from './queues.js';
import { scheduledRouter } from './scheduled.js';
import { StatsHistory } from './stats-history.js';
import { createAdminStores } from './stores.js';
import { subscriptionsRouter } from './subscriptions.js';

/** Options of {@link createAdminRouter}. */
export interface AdminRouterOptions {
  /** Kysely over the PostgreSQL database holding Metro's tables (migrated by outbox-pg and scheduler). */
  readonly db: Kysely<any>;
  /** The schema of Metro's tables. Default `'metro'`. */
  readonly schema?: string;
  /** A running bus: `deferred.resume` goes through it. Without it, resumes go through the outbox. */
  readonly metro?: AdminMetro;
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
  const feed = new FailureFeed(stores.failures, options.failurePollMs ?? 500, logger);
  const sampler = new QueueSampler(options.transport, options.queues ?? []);
  const outboxHistory = new StatsHistory<OutboxStatsDto>();
  const appRouter = router({
    /** Who the token belongs to: the dashboard's login check. */
    session: router({ whoami: adminQuery.query(({ ctx }) => ({ principal: ctx.principal.id })) }),
    failed: failedRouter(stores, options.db, schema),
    deferred: deferredRouter(stores, options.metro, logger),
    scheduled: scheduledRouter(stores),
    outbox: outboxRouter(stores, outboxHistory),
    queues: queuesRouter(sampler),
    live: subscriptionsRouter({
      db: options.db,
      schema,
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
 * Builds the admin API over Metro's PostgreSQL stores. Refuses to build without `authorize`.
 *
 * @example
 * ```ts
 * const admin = createAdminRouter({ db, authorize: tokenAuth([process.env.METRO_ADMIN_TOKEN!]), transport, queues: ['billing'] });
 * const server = await createAdminServer({ port: 4400, router: admin });
 * ```
 */
export function createAdminRouter(options: AdminRouterOptions): AdminRouter {
  if (typeof options?.authorize !== 'function') throw new AdminAuthRequiredError();
  const logger = options.logger ?? silentLogger;
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
