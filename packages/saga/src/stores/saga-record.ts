/** A saga's lifecycle: `active` while it takes messages, `completed` while kept for its retention. */
export type SagaStatus = 'active' | 'completed';

/** A timeout the saga waits for: the scheduled message's id (its token) and due time. */
export interface PendingTimeout {
  /** The scheduled message's id: the timeout reaches the handler only if its message carries this id. */
  readonly id: string;
  /** ISO 8601. */
  readonly dueAt: string;
}

/** One message that moved a saga (the newest {@link HISTORY_LIMIT} are kept). */
export interface SagaHistoryEntry {
  readonly messageId: string;
  /** `topic.type` / `service:type`, or `operator:complete`. */
  readonly message: string;
  /** The version the message moved the saga to. */
  readonly version: number;
  /** ISO 8601. */
  readonly at: string;
}

/** How many history entries a saga keeps. */
export const HISTORY_LIMIT = 20;

/** A saga instance as stored. */
export interface SagaRecord {
  readonly saga: string;
  readonly key: string;
  /** The state as the last handler returned it (checked against the schema); `null` only inside the creating transaction. */
  readonly state: unknown;
  /** The definition's `currentState` of `state`, if it has one. */
  readonly currentState: string | null;
  /** 1 after the first transition, +1 per transition. */
  readonly version: number;
  readonly status: SagaStatus;
  /** Pending timeouts by message name (`topic.type` / `service:type`). */
  readonly timeouts: Readonly<Record<string, PendingTimeout>>;
  /** The messages that moved it, oldest first. */
  readonly history: ReadonlyArray<SagaHistoryEntry>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly completedAt: Date | null;
  /** When a completed saga is pruned. */
  readonly expiresAt: Date | null;
}

/**
 * A saga read under its lock for a transition: what the transition needs, no timestamps. `created`
 * when this transaction created it (state `null`, version 0).
 */
export interface LockedSaga extends Pick<SagaRecord, 'saga' | 'key' | 'state' | 'currentState' | 'version' | 'status' | 'timeouts' | 'history'> {
  readonly created: boolean;
}

/** What a transition writes. */
export interface SagaWrite {
  readonly saga: string;
  readonly key: string;
  /** The version read under the lock: the write fails with `SagaConcurrencyError` if the row has another. */
  readonly expectedVersion: number;
  readonly state: unknown;
  readonly currentState: string | null;
  readonly status: SagaStatus;
  readonly timeouts: Readonly<Record<string, PendingTimeout>>;
  readonly history: ReadonlyArray<SagaHistoryEntry>;
  readonly expiresAt: Date | null;
}
