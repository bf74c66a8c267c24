import type { Page } from '@metro/core';
import type { Scheduler } from '@metro/scheduler';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { SagaConcurrencyError } from '../errors.js';
import { decodeSagaCursor, encodeSagaCursor, pageLimit } from './list-cursor.js';
import { createSagaOperations, type SagaOperations } from './saga-operations.js';
import type { LockedSaga, SagaRecord } from './saga-record.js';
import { SAGA_COLUMNS, toSagaRecord, type SagaRow } from './saga-rows.js';
import type { SagaListFilter, SagaQueries, SagaStore } from './saga-store.js';
import { sagaTables } from './saga-tables.js';

/** Options of {@link pgSagaStore}. */
export interface PgSagaStoreOptions {
  /** Schema of the saga table (as `migrateSagas`). Default `metro`. */
  readonly schema?: string;
  /** Cancels the pending timeouts of sagas an operator completes or deletes (without it they fire and are dropped, as stale). */
  readonly scheduler?: Scheduler;
}

/** The PostgreSQL saga store: transitions (row lock), queries, operator actions and pruning. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PgSagaStore extends SagaStore<Transaction<any>>, SagaQueries, SagaOperations {
  /** Deletes completed sagas whose retention has passed; returns how many. */
  prune(): Promise<number>;
}

const CREATE_ATTEMPTS = 5;

/** What a transition reads of its saga's row. */
type LockedRow = Pick<SagaRow, 'state' | 'current_state' | 'version' | 'status' | 'timeouts' | 'history'>;

/**
 * The saga store on PostgreSQL: a transition reads its saga with `SELECT ... FOR UPDATE` (a new one
 * is inserted first, `ON CONFLICT DO NOTHING`, so two starting messages create it once), and writes
 * it back with a version check.
 *
 * @example
 * ```ts
 * const sagas = pgSagaStore(db, { scheduler });
 * const page = await sagas.list({ saga: 'order', currentState: 'awaiting-payment' });
 * await sagas.complete('order', 'o-1'); // an operator ends a stuck one
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function pgSagaStore(db: Kysely<any>, options: PgSagaStoreOptions = {}): PgSagaStore {
  const { sagas } = sagaTables(options.schema);
  const columns = sql.raw(SAGA_COLUMNS);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const rows = async (query: RawBuilder<SagaRow>, on: Kysely<any> = db): Promise<SagaRow[]> => (await query.execute(on)).rows;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function lock(trx: Transaction<any>, saga: string, key: string, opts: { readonly create: boolean }): Promise<LockedSaga | undefined> {
    // A row deleted (completed) by a concurrent transition between the insert and the select: insert again.
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      if (opts.create) {
        const inserted = await sql`INSERT INTO ${sagas} (saga, key, state, version) VALUES (${saga}, ${key}, NULL, 0)
                                   ON CONFLICT (saga, key) DO NOTHING RETURNING version`.execute(trx);
        if (inserted.rows.length === 1)
          return { saga, key, state: null, currentState: null, version: 0, status: 'active', timeouts: {}, history: [], created: true };
      }
      const found = await sql<LockedRow>`SELECT state, current_state, version, status, timeouts, history FROM ${sagas}
                                         WHERE saga = ${saga} AND key = ${key} FOR UPDATE`.execute(trx);
      const row = found.rows[0];
      if (row) {
        return {
          saga,
          key,
          state: row.state,
          currentState: row.current_state,
          version: Number(row.version),
          status: row.status,
          timeouts: row.timeouts,
          history: row.history,
          created: false,
        };
      }
      if (!opts.create) return undefined;
    }
    throw new SagaConcurrencyError(saga, key, 0);
  }

  const store: SagaStore<Transaction<unknown>> = {
    lock,
    async save(trx, write) {
      const result = await sql`
        UPDATE ${sagas} SET state = ${JSON.stringify(write.state)}::jsonb, current_state = ${write.currentState}, version = version + 1,
          status = ${write.status}, timeouts = ${JSON.stringify(write.timeouts)}::jsonb, history = ${JSON.stringify(write.history)}::jsonb,
          updated_at = now(), completed_at = CASE WHEN ${write.status} = 'completed' THEN now() END, expires_at = ${write.expiresAt}
        WHERE saga = ${write.saga} AND key = ${write.key} AND version = ${write.expectedVersion}`.execute(trx);
      if (Number(result.numAffectedRows ?? 0n) !== 1) throw new SagaConcurrencyError(write.saga, write.key, write.expectedVersion);
    },
    async remove(trx, saga, key, expectedVersion) {
      const result = await sql`DELETE FROM ${sagas} WHERE saga = ${saga} AND key = ${key} AND version = ${expectedVersion}`.execute(trx);
      if (Number(result.numAffectedRows ?? 0n) !== 1) throw new SagaConcurrencyError(saga, key, expectedVersion);
    },
  };

  const queries: SagaQueries = {
    async list(filter: SagaListFilter = {}): Promise<Page<SagaRecord>> {
      const limit = pageLimit(filter.limit);
      const where: RawBuilder<unknown>[] = [sql`state IS NOT NULL`];
      if (filter.saga !== undefined) where.push(sql`saga = ${filter.saga}`);
      if (filter.status !== undefined) where.push(sql`status = ${filter.status}`);
      if (filter.currentState !== undefined) where.push(sql`current_state = ${filter.currentState}`);
      const after = filter.cursor === undefined ? undefined : decodeSagaCursor(filter.cursor);
      if (after) where.push(sql`(saga, key) > (${after.saga}, ${after.key})`);
      const found = await rows(sql<SagaRow>`SELECT ${columns} FROM ${sagas} WHERE ${sql.join(where, sql` AND `)} ORDER BY saga, key LIMIT ${limit + 1}`);
      const items = found.slice(0, limit).map(toSagaRecord);
      const last = items[items.length - 1];
      return { items, nextCursor: found.length > limit && last ? encodeSagaCursor(last.saga, last.key) : null };
    },
    async get(saga, key) {
      const [row] = await rows(sql<SagaRow>`SELECT ${columns} FROM ${sagas} WHERE saga = ${saga} AND key = ${key} AND state IS NOT NULL`);
      return row ? toSagaRecord(row) : undefined;
    },
  };

  return {
    ...(store as PgSagaStore),
    ...queries,
    ...createSagaOperations(db, sagas, options.scheduler),
    async prune() {
      const result = await sql`DELETE FROM ${sagas} WHERE expires_at IS NOT NULL AND expires_at < now()`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },
  };
}
