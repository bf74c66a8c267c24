import type { Page } from '@metro/core';
import type { LockedSaga, SagaRecord, SagaStatus, SagaWrite } from './saga-record.js';

/**
 * Where saga instances live, as a transition uses them: read one under a lock held until `trx`
 * ends, then write it back (or remove it) in the same transaction. `Trx` is the transaction: a
 * kysely `Transaction` for {@link pgSagaStore}, a `MemorySagaTransaction` for the in-memory store.
 */
export interface SagaStore<Trx> {
  /**
   * Reads saga `saga`/`key` and locks it until `trx` ends (another transition of the same saga waits).
   * With `create`, a saga that does not exist is created in `trx` (`created: true`, version 0) and
   * locked. Resolves `undefined` when it does not exist and `create` is false.
   */
  lock(trx: Trx, saga: string, key: string, options: { readonly create: boolean }): Promise<LockedSaga | undefined>;
  /** Writes the transition's result; version + 1. Throws `SagaConcurrencyError` when the row is not at `expectedVersion`. */
  save(trx: Trx, write: SagaWrite): Promise<void>;
  /** Deletes the saga (completion without retention). Throws `SagaConcurrencyError` when the row is not at `expectedVersion`. */
  remove(trx: Trx, saga: string, key: string, expectedVersion: number): Promise<void>;
}

/** Filter of `list()`. Every field narrows the result. */
export interface SagaListFilter {
  /** The saga's name. */
  readonly saga?: string;
  readonly status?: SagaStatus;
  /** The definition's `currentState` (e.g. `'awaiting-payment'`). */
  readonly currentState?: string;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
  /** 1 to 500. Default 50. */
  readonly limit?: number;
}

/** Reading sagas outside transitions: tests, the admin API. */
export interface SagaQueries {
  /** One page of sagas ordered by (saga, key). */
  list(filter?: SagaListFilter): Promise<Page<SagaRecord>>;
  /** One saga, or `undefined`. */
  get(saga: string, key: string): Promise<SagaRecord | undefined>;
}
