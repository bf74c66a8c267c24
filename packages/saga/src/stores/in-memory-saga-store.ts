import type { Page } from '@metro/core';
import { SagaConcurrencyError } from '../errors.js';
import { decodeSagaCursor, encodeSagaCursor, pageLimit } from './list-cursor.js';
import type { LockedSaga, SagaRecord, SagaWrite } from './saga-record.js';
import type { SagaListFilter, SagaQueries, SagaStore } from './saga-store.js';

/**
 * A memory "transaction" of {@link InMemorySagaStore}: the saga locks it took are held, and its
 * writes applied, when `store.transaction(fn)` ends (`fn` resolved: applied; threw: dropped).
 */
export class MemorySagaTransaction {
  /** @internal */ readonly held = new Map<string, () => void>();
  /** @internal */ readonly writes: Array<() => void> = [];
}

const id = (saga: string, key: string): string => `${saga}\u0000${key}`;

/**
 * A {@link SagaStore} in process memory, for unit tests and the in-memory demo: the same locking
 * (one transition per saga at a time) and version checks as the PostgreSQL store.
 *
 * @example
 * ```ts
 * const store = memorySagaStore();
 * await store.transaction(async (trx) => {
 *   const saga = await store.lock(trx, 'order', 'o-1', { create: true });
 *   await store.save(trx, { saga: 'order', key: 'o-1', expectedVersion: saga!.version, state: { status: 'new' }, currentState: null, status: 'active', timeouts: {}, history: [], expiresAt: null });
 * });
 * ```
 */
export class InMemorySagaStore implements SagaStore<MemorySagaTransaction>, SagaQueries {
  private readonly records = new Map<string, SagaRecord>();
  private readonly waiting = new Map<string, Array<() => void>>();

  /** Runs `fn` in a memory transaction: its writes apply if it resolves, and its locks are released either way. */
  async transaction<T>(fn: (trx: MemorySagaTransaction) => Promise<T>): Promise<T> {
    const trx = new MemorySagaTransaction();
    try {
      const result = await fn(trx);
      for (const write of trx.writes) write();
      return result;
    } finally {
      for (const release of trx.held.values()) release();
    }
  }

  async lock(trx: MemorySagaTransaction, saga: string, key: string, options: { readonly create: boolean }): Promise<LockedSaga | undefined> {
    const sagaId = id(saga, key);
    if (!trx.held.has(sagaId)) trx.held.set(sagaId, await this.acquire(sagaId));
    const found = this.records.get(sagaId);
    if (found) return { ...structuredClone(found), created: false };
    if (!options.create) return undefined;
    return { saga, key, state: null, currentState: null, version: 0, status: 'active', timeouts: {}, history: [], created: true };
  }

  async save(trx: MemorySagaTransaction, write: SagaWrite): Promise<void> {
    const sagaId = id(write.saga, write.key);
    const current = this.records.get(sagaId);
    if ((current?.version ?? 0) !== write.expectedVersion) throw new SagaConcurrencyError(write.saga, write.key, write.expectedVersion);
    const now = new Date();
    const record: SagaRecord = {
      saga: write.saga,
      key: write.key,
      state: structuredClone(write.state),
      currentState: write.currentState,
      version: write.expectedVersion + 1,
      status: write.status,
      timeouts: { ...write.timeouts },
      history: [...write.history],
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
      completedAt: write.status === 'completed' ? now : null,
      expiresAt: write.expiresAt,
    };
    trx.writes.push(() => this.records.set(sagaId, record));
  }

  async remove(trx: MemorySagaTransaction, saga: string, key: string, expectedVersion: number): Promise<void> {
    const sagaId = id(saga, key);
    const current = this.records.get(sagaId);
    // A saga created and completed in one transition was never committed: nothing to delete.
    if ((current?.version ?? 0) !== expectedVersion) throw new SagaConcurrencyError(saga, key, expectedVersion);
    trx.writes.push(() => this.records.delete(sagaId));
  }

  async list(filter: SagaListFilter = {}): Promise<Page<SagaRecord>> {
    const limit = pageLimit(filter.limit);
    const after = filter.cursor === undefined ? undefined : decodeSagaCursor(filter.cursor);
    const matching = [...this.records.values()]
      .filter((r) => (filter.saga === undefined || r.saga === filter.saga) && (filter.status === undefined || r.status === filter.status))
      .filter((r) => filter.currentState === undefined || r.currentState === filter.currentState)
      .sort((a, b) => (a.saga === b.saga ? compare(a.key, b.key) : compare(a.saga, b.saga)))
      .filter((r) => !after || r.saga > after.saga || (r.saga === after.saga && r.key > after.key));
    const items = matching.slice(0, limit).map((r) => structuredClone(r));
    const last = items[items.length - 1];
    return { items, nextCursor: matching.length > limit && last ? encodeSagaCursor(last.saga, last.key) : null };
  }

  async get(saga: string, key: string): Promise<SagaRecord | undefined> {
    const found = this.records.get(id(saga, key));
    return found ? structuredClone(found) : undefined;
  }

  /** Deletes completed sagas whose retention has passed (by `now`, default the clock); returns how many. */
  prune(now: number = Date.now()): number {
    let deleted = 0;
    for (const [sagaId, record] of this.records) {
      if (record.expiresAt !== null && record.expiresAt.getTime() < now) {
        this.records.delete(sagaId);
        deleted++;
      }
    }
    return deleted;
  }

  /** Resolves with the release function once `sagaId` is free. */
  private acquire(sagaId: string): Promise<() => void> {
    const queue = this.waiting.get(sagaId);
    const release = (): void => {
      const next = this.waiting.get(sagaId);
      const wake = next?.shift();
      if (wake) wake();
      else this.waiting.delete(sagaId);
    };
    if (!queue) {
      this.waiting.set(sagaId, []);
      return Promise.resolve(release);
    }
    return new Promise((resolve) => queue.push(() => resolve(release)));
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Creates an {@link InMemorySagaStore}.
 *
 * @example
 * ```ts
 * const harness = createSagaHarness(orderSaga, { store: memorySagaStore() });
 * ```
 */
export function memorySagaStore(): InMemorySagaStore {
  return new InMemorySagaStore();
}
