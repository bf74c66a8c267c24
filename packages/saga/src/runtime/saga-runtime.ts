import {
  childLogger,
  defaultLogger,
  toMilliseconds,
  type Codec,
  type Duration,
  type Handler,
  type HandlerContext,
  type HandlerOptions,
  type Logger,
  type Metro,
  type RetryOptions,
} from '@metro/core';
import { createInbox, createOutbox, type PgInbox } from '@metro/outbox-pg';
import { createScheduler, type Scheduler } from '@metro/scheduler';
import type { Kysely, Transaction } from 'kysely';
import type { SagaDefinition, SagaRoute } from '../definition/define-saga.js';
import { InvalidSagaDefinitionError } from '../errors.js';
import { pgSagaStore, type PgSagaStore } from '../stores/pg-saga-store.js';
import { sagaTables } from '../stores/saga-tables.js';
import { createBackgroundWork } from './background-work.js';
import type { SagaEffects } from './saga-effects.js';
import { applyTransition } from './transition.js';

/** The part of a Metro bus sagas register on: `createMetro(...)` is one (`Trx`: its inbox's transaction type, unused by sagas). */
export type SagaBus<Trx = unknown> = Pick<Metro<Trx>, 'service' | 'on' | 'handle'>;

/** Options of {@link createSagaRuntime}. */
export interface SagaRuntimeOptions<Trx = unknown> {
  /** The bus the sagas' messages arrive on (it needs no `inbox` option: the runtime brings its own). */
  readonly metro: SagaBus<Trx>;
  /** The database of the saga, inbox, outbox and scheduler tables. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  /** Their schema. Default `metro`. */
  readonly schema?: string;
  /** Schedules timeouts. Default `createScheduler({ db, schema, source: metro.service })`; run a `createSchedulerWorker` to fire them. */
  readonly scheduler?: Scheduler;
  /** Dedupes messages in the transition's transaction. Default `createInbox({ db, schema })`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly inbox?: PgInbox<any>;
  /** Encodes what sagas send (outbox rows). Default the JSON envelope codec. */
  readonly codec?: Codec;
  readonly logger?: Logger;
  /** How often completed sagas past their retention are pruned, in the background after a transition. `false`: call `prune()` yourself. Default `'1m'`. */
  readonly pruneInterval?: Duration | false;
}

/** Options of one registered saga's handlers. */
export interface SagaRegistrationOptions {
  /** The handlers' retry policy (merged over the bus's). */
  readonly retry?: RetryOptions;
  /** The handlers' timeout. Default: the bus's. */
  readonly timeout?: Duration;
}

/** Runs sagas on a Metro bus against PostgreSQL. See {@link createSagaRuntime}. */
export interface SagaRuntime {
  /** Registers the saga's handlers on the bus (before `metro.start()`). */
  register(saga: SagaDefinition, options?: SagaRegistrationOptions): void;
  /** The saga table: list, get, complete, delete. */
  readonly store: PgSagaStore;
  /** Deletes completed sagas past their retention; returns how many. */
  prune(): Promise<number>;
  /** Waits for background work (timeout cancellations, pruning). Call after `metro.stop()`. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Runs sagas on a bus: each message a saga handles is one transaction holding the inbox record,
 * the saga's row (locked with `SELECT ... FOR UPDATE`, written back with a version check), the
 * outbox rows of what the handler sent and the schedules of its timeouts. All of it commits, or
 * none of it (and the message is retried). Run an outbox relay and a scheduler worker too.
 *
 * @example
 * ```ts
 * const sagas = createSagaRuntime({ metro, db });
 * sagas.register(orderSaga);
 * await metro.start();
 * // ... on shutdown
 * await metro.stop();
 * await sagas.close();
 * ```
 */
export function createSagaRuntime<Trx = unknown>(options: SagaRuntimeOptions<Trx>): SagaRuntime {
  const { metro, db } = options;
  const { schema } = sagaTables(options.schema);
  const logger = childLogger(options.logger ?? defaultLogger, { component: 'saga' });
  const scheduler = options.scheduler ?? createScheduler({ db, schema, source: metro.service });
  const inbox = options.inbox ?? createInbox({ db, schema, logger });
  const outbox = createOutbox({ db, schema, source: metro.service, ...(options.codec ? { codec: options.codec } : {}) });
  const store = pgSagaStore(db, { schema, scheduler });
  const background = createBackgroundWork(logger);
  const pruneMs = options.pruneInterval === false ? 0 : toMilliseconds(options.pruneInterval ?? '1m');
  let lastPrune = Number.NEGATIVE_INFINITY;
  const registered = new Set<string>();

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const effectsOf = (trx: Transaction<any>): SagaEffects => ({
    now: () => Date.now(),
    publish: (definition, payload, publishOptions) => outbox.publish(trx, definition, payload as never, publishOptions),
    schedule: async (definition, payload, at, id, tags) => {
      await scheduler.schedule(trx, definition, payload as never, { at, id, tags });
    },
  });

  function afterCommit(cancelled: ReadonlyArray<string>): void {
    // Best effort: a timeout that fires anyway is dropped by its saga (its id is no longer pending).
    for (const id of cancelled) background.run('cancel a replaced saga timeout', () => scheduler.cancelById(id));
    if (pruneMs > 0 && Date.now() - lastPrune >= pruneMs) {
      lastPrune = Date.now();
      background.run('prune completed sagas', () => store.prune());
    }
  }

  function handlerOf(saga: SagaDefinition, route: SagaRoute) {
    const consumer = `${metro.service}:saga:${saga.name}:${route.name}`;
    return async (payload: unknown, ctx: HandlerContext<unknown>): Promise<void> => {
      const result = await inbox.run({ consumer, messageId: ctx.messageId }, (trx) =>
        applyTransition({ saga, route, payload, envelope: ctx.envelope, store, trx, effects: effectsOf(trx), logger: ctx.logger }),
      );
      if (result.duplicate) ctx.logger.debug({ saga: saga.name }, 'saga message already applied: skipped by the inbox');
      else afterCommit(result.result.cancelledTimeouts);
    };
  }

  return {
    store,
    register(saga, registration = {}) {
      if (registered.has(saga.name)) throw new InvalidSagaDefinitionError(saga.name, 'it is registered twice on this runtime');
      if (saga.routes.length === 0) throw new InvalidSagaDefinitionError(saga.name, 'it handles no message: add startedBy(...)');
      if (!saga.routes.some((r) => r.kind === 'start')) throw new InvalidSagaDefinitionError(saga.name, 'no message starts it: add startedBy(...)');
      registered.add(saga.name);
      for (const route of saga.routes) {
        const handlerOptions: HandlerOptions = {
          name: `saga:${saga.name}:${route.name}`,
          ...(registration.retry ? { retry: registration.retry } : {}),
          ...(registration.timeout !== undefined ? { timeout: registration.timeout } : {}),
        };
        const handler = handlerOf(saga, route) as Handler<unknown, Trx>;
        if (route.definition.kind === 'command') metro.handle(route.definition, handler, handlerOptions);
        else metro.on(route.definition, handler, handlerOptions);
      }
    },
    async prune() {
      return store.prune();
    },
    close: () => background.drain(),
  };
}
