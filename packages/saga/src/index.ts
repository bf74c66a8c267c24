// @metro/saga public entry.
export { defineSaga } from './definition/define-saga.js';
export type {
  SagaDefinition,
  SagaOptions,
  SagaRoute,
  SagaRouteKind,
  SagaHandler,
  SagaStartHandler,
  SagaResult,
  SagaMessageOptions,
  SagaHandledMessageOptions,
  NotFoundPolicy,
} from './definition/define-saga.js';
export type { SagaContext, SagaCompletion, SagaPublishOptions, SagaTimeoutOptions } from './definition/saga-context.js';
export { createSagaRuntime } from './runtime/saga-runtime.js';
export type { SagaRuntime, SagaRuntimeOptions, SagaRegistrationOptions, SagaBus } from './runtime/saga-runtime.js';
export { applyTransition } from './runtime/transition.js';
export type { TransitionInput, TransitionResult, TransitionOutcome, IgnoredReason } from './runtime/transition.js';
export type { SagaEffects } from './runtime/saga-effects.js';
export { migrateSagas, sagaMigrations } from './migrations.js';
export { pgSagaStore } from './stores/pg-saga-store.js';
export type { PgSagaStore, PgSagaStoreOptions } from './stores/pg-saga-store.js';
export type { SagaOperations } from './stores/saga-operations.js';
export type { SagaStore, SagaQueries, SagaListFilter } from './stores/saga-store.js';
export type { SagaRecord, LockedSaga, SagaWrite, SagaStatus, PendingTimeout, SagaHistoryEntry } from './stores/saga-record.js';
export { HISTORY_LIMIT } from './stores/saga-record.js';
export { InMemorySagaStore, MemorySagaTransaction, memorySagaStore } from './stores/in-memory-saga-store.js';
export { defineCompensations } from './compensation.js';
export type { Compensations, CompensationStep } from './compensation.js';
export { SAGA_ERROR_CODES, SagaNotFoundError, InvalidSagaKeyError, InvalidSagaDefinitionError, SagaConcurrencyError } from './errors.js';
export type { SagaErrorCode } from './errors.js';
