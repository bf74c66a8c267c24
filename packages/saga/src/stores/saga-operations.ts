import type { Scheduler } from '@metro/scheduler';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { HISTORY_LIMIT, type PendingTimeout, type SagaHistoryEntry, type SagaRecord } from './saga-record.js';
import { SAGA_COLUMNS, toSagaRecord, type SagaRow } from './saga-rows.js';

/** What an operator can do to a stuck saga (the admin API calls these). */
export interface SagaOperations {
  /**
   * Marks an active saga completed (kept until `keep` from now passes, default 7 days, then pruned)
   * and cancels its pending timeouts. Resolves the completed saga, or `undefined` if there is no
   * active saga with that key.
   */
  complete(saga: string, key: string, options?: { keepMs?: number }): Promise<SagaRecord | undefined>;
  /** Deletes a saga (active or completed) and cancels its pending timeouts; false if there was none. */
  delete(saga: string, key: string): Promise<boolean>;
}

const DEFAULT_KEEP_MS = 7 * 86_400_000;

/**
 * Operator actions on the saga table. Each takes the saga's row lock, so it waits for a
 * transition in flight and the next transition sees its result.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createSagaOperations(db: Kysely<any>, sagas: RawBuilder<unknown>, scheduler: Scheduler | undefined): SagaOperations {
  const cancel = async (timeouts: Readonly<Record<string, PendingTimeout>>): Promise<void> => {
    if (!scheduler) return;
    await Promise.all(Object.values(timeouts).map((t) => scheduler.cancelById(t.id)));
  };
  return {
    async complete(saga, key, options = {}) {
      const keepMs = options.keepMs ?? DEFAULT_KEEP_MS;
      const row = await db.transaction().execute(async (trx) => {
        const found = await sql<SagaRow>`SELECT ${sql.raw(SAGA_COLUMNS)} FROM ${sagas}
          WHERE saga = ${saga} AND key = ${key} AND status = 'active' AND state IS NOT NULL FOR UPDATE`.execute(trx);
        const current = found.rows[0];
        if (!current) return undefined;
        const entry: SagaHistoryEntry = { messageId: '', message: 'operator:complete', version: Number(current.version) + 1, at: new Date().toISOString() };
        const history = [...current.history, entry].slice(-HISTORY_LIMIT);
        const updated = await sql<SagaRow>`UPDATE ${sagas} SET status = 'completed', version = version + 1, timeouts = '{}'::jsonb,
            history = ${JSON.stringify(history)}::jsonb, updated_at = now(), completed_at = now(), expires_at = now() + ${keepMs} * interval '1 ms'
          WHERE saga = ${saga} AND key = ${key} RETURNING ${sql.raw(SAGA_COLUMNS)}`.execute(trx);
        return { before: current, after: updated.rows[0]! };
      });
      if (!row) return undefined;
      await cancel(row.before.timeouts);
      return toSagaRecord(row.after);
    },
    async delete(saga, key) {
      const deleted = await sql<Pick<SagaRow, 'timeouts'>>`DELETE FROM ${sagas} WHERE saga = ${saga} AND key = ${key} RETURNING timeouts`.execute(db);
      const row = deleted.rows[0];
      if (!row) return false;
      await cancel(row.timeouts);
      return true;
    },
  };
}
