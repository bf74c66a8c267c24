import type { PendingTimeout, SagaHistoryEntry, SagaRecord, SagaStatus } from './saga-record.js';

/** A row of `sagas` as pg returns it. */
export interface SagaRow {
  saga: string;
  key: string;
  state: unknown;
  current_state: string | null;
  version: number | string;
  status: SagaStatus;
  timeouts: Record<string, PendingTimeout>;
  history: SagaHistoryEntry[];
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  expires_at: Date | null;
}

/** The columns every read selects, in {@link SagaRow}'s shape. */
export const SAGA_COLUMNS = 'saga, key, state, current_state, version, status, timeouts, history, created_at, updated_at, completed_at, expires_at';

/** A row as a {@link SagaRecord}. */
export function toSagaRecord(row: SagaRow): SagaRecord {
  return {
    saga: row.saga,
    key: row.key,
    state: row.state,
    currentState: row.current_state,
    version: Number(row.version),
    status: row.status,
    timeouts: { ...row.timeouts },
    history: [...row.history],
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    completedAt: row.completed_at === null ? null : new Date(row.completed_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
  };
}
