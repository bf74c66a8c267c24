import { isThenable, validateNow, type Envelope, type Logger } from '@metro/core';
import type { SagaDefinition, SagaRoute } from '../definition/define-saga.js';
import { isCompletion } from '../definition/saga-context.js';
import { InvalidSagaKeyError, SagaNotFoundError } from '../errors.js';
import { HISTORY_LIMIT, type LockedSaga, type PendingTimeout, type SagaStatus } from '../stores/saga-record.js';
import type { SagaStore } from '../stores/saga-store.js';
import type { SagaEffects } from './saga-effects.js';
import { createTransitionContext } from './transition-context.js';

/** What one message did to its saga. */
export type TransitionOutcome = 'started' | 'moved' | 'completed' | 'ignored';

/** Why a message was ignored (`duplicate`: the inbox had applied its id already; the harness reports it, the runtime logs it). */
export type IgnoredReason = 'not-found' | 'completed' | 'stale-timeout' | 'duplicate';

/** The result of {@link applyTransition}. */
export interface TransitionResult {
  readonly outcome: TransitionOutcome;
  readonly reason?: IgnoredReason;
  readonly key: string;
  /** The saga's version after the message (unchanged when ignored; 0 when it never existed). */
  readonly version: number;
  /** Ids of scheduled timeouts to cancel after commit (replaced, cancelled, or of a completed saga). */
  readonly cancelledTimeouts: ReadonlyArray<string>;
}

/** One message applied to one saga, inside `trx`. */
export interface TransitionInput<Trx> {
  readonly saga: SagaDefinition;
  readonly route: SagaRoute;
  /** The validated payload. */
  readonly payload: unknown;
  readonly envelope: Envelope;
  readonly store: SagaStore<Trx>;
  readonly trx: Trx;
  readonly effects: SagaEffects;
  readonly logger: Logger;
}

const MAX_KEY_LENGTH = 200;

/** Reads and checks a message's saga key. */
export function sagaKeyOf(saga: SagaDefinition, route: SagaRoute, payload: unknown): string {
  const key = route.key(payload);
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY_LENGTH) throw new InvalidSagaKeyError(saga.name, route.name, key);
  return key;
}

/**
 * Applies one message to its saga inside the caller's transaction: locks the saga (creating it for
 * a starting message), checks a timeout's token, runs the handler, checks the state it returned
 * and writes it back (or completes the saga). Every write goes to `trx` / `effects`, so the caller's
 * commit makes all of it happen or none. The same function serves PostgreSQL and the harness.
 */
export async function applyTransition<Trx>(input: TransitionInput<Trx>): Promise<TransitionResult> {
  const { saga, route, envelope, store, trx } = input;
  const key = sagaKeyOf(saga, route, input.payload);
  const locked = await store.lock(trx, saga.name, key, { create: route.kind === 'start' });
  const ignored = (reason: IgnoredReason): TransitionResult => ({ outcome: 'ignored', reason, key, version: locked?.version ?? 0, cancelledTimeouts: [] });
  if (!locked || locked.status === 'completed') {
    if (route.kind === 'handle' && route.notFound === 'failure') throw new SagaNotFoundError(saga.name, key, route.name);
    input.logger.debug({ saga: saga.name, key, message: route.name }, 'saga message ignored: no active saga');
    return ignored(locked ? 'completed' : 'not-found');
  }
  const timeouts: Record<string, PendingTimeout> = { ...locked.timeouts };
  if (route.kind === 'timeout') {
    if (timeouts[route.name]?.id !== envelope.id) return ignored('stale-timeout');
    delete timeouts[route.name];
  }
  // validateNow: no promise and no tick when the schema is synchronous and the value valid (the hot path).
  let state = locked.created ? undefined : validateNow(saga.state, locked.state, `State of saga "${saga.name}" (key "${key}")`);
  if (isThenable(state)) state = await state;
  const cancelled: string[] = [];
  const ctx = createTransitionContext({
    saga: saga.name,
    key,
    version: locked.version,
    envelope,
    logger: input.logger,
    trx,
    effects: input.effects,
    timeouts,
    cancelled,
  });
  const returned = await route.handler(input.payload, state, ctx);
  const version = locked.version + 1;
  const history = [...locked.history, { messageId: envelope.id, message: route.name, version, at: new Date(input.effects.now()).toISOString() }].slice(
    -HISTORY_LIMIT,
  );
  if (isCompletion(returned)) {
    cancelled.push(...Object.values(timeouts).map((t) => t.id));
    await complete(input, locked, history);
    return { outcome: 'completed', key, version, cancelledTimeouts: cancelled };
  }
  let next = validateNow(saga.state, returned, `The state saga "${saga.name}" returned for ${route.name} (key "${key}")`);
  if (isThenable(next)) next = await next;
  await store.save(trx, {
    saga: saga.name,
    key,
    expectedVersion: locked.version,
    state: returned,
    currentState: saga.currentState ? saga.currentState(next) : null,
    status: 'active',
    timeouts,
    history,
    expiresAt: null,
  });
  return { outcome: locked.created ? 'started' : 'moved', key, version, cancelledTimeouts: cancelled };
}

async function complete<Trx>(input: TransitionInput<Trx>, locked: LockedSaga, history: LockedSaga['history']): Promise<void> {
  const { saga, store, trx } = input;
  if (saga.retentionMs === null) {
    await store.remove(trx, saga.name, locked.key, locked.version);
    return;
  }
  const status: SagaStatus = 'completed';
  await store.save(trx, {
    saga: saga.name,
    key: locked.key,
    expectedVersion: locked.version,
    state: locked.created ? null : locked.state,
    currentState: locked.currentState,
    status,
    timeouts: {},
    history,
    expiresAt: new Date(input.effects.now() + saga.retentionMs),
  });
}
