import type { Envelope } from '../envelope.js';
import type { HeaderValue } from '../transport.js';
import type { Page } from './page.js';

/**
 * Why a message ended in the failure store, every reason there is:
 * - `handler`: a handler threw (or timed out) and its retries are exhausted or the error is not retryable;
 * - `decode`: bytes that no codec could read (not JSON, missing attributes, pollution keys);
 * - `validation`: the payload does not match the handler's schema;
 * - `expired`: a command past its `expiresat`;
 * - `no-handler`: a command this service has no handler for;
 * - `oversized`: bigger than `maxMessageBytes`;
 * - `delivery-limit`: the broker gave up redelivering it (a quorum queue's delivery limit: it was
 *   delivered and never settled that many times, e.g. it crashed its consumer each time).
 */
export const FAILURE_REASONS = ['handler', 'decode', 'validation', 'expired', 'no-handler', 'oversized', 'delivery-limit'] as const;

/** Why a message ended in the failure store (see {@link FAILURE_REASONS}). */
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Every status: `failed` → (retry) → `retried` → (handled) → `resolved`; `deleted` by an operator. A retried message that fails again returns to `failed`. */
export const FAILURE_STATUSES = ['failed', 'retried', 'resolved', 'deleted'] as const;

/** The status of a failure record (see {@link FAILURE_STATUSES}). */
export type FailureStatus = (typeof FAILURE_STATUSES)[number];

/** The error as recorded: plain data, so it can be stored and sent over the admin API. */
export interface RecordedError {
  readonly name: string;
  readonly code?: string | undefined;
  readonly message: string;
  readonly stack?: string | undefined;
}

export interface NewFailure {
  /** The message id (envelope id, or the transport message id when it could not be decoded). */
  readonly messageId: string;
  /** The service that failed to handle it. */
  readonly service: string;
  /** The queue it was consumed from: a retry replays it into this queue only. */
  readonly queue: string;
  /** The handler that failed, or `null` when no handler ran (decode, validation before dispatch, expired, no-handler). */
  readonly handler: string | null;
  readonly reason: FailureReason;
  readonly type: string | null;
  readonly topic: string | null;
  readonly correlationId: string | null;
  /** The decoded envelope, when decoding succeeded. */
  readonly envelope: Envelope | null;
  /** The bytes as received (truncated to the store's limit for oversized messages). */
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly error: RecordedError;
  /** Attempts made before giving up (1 when it failed at once). */
  readonly attempts: number;
  /**
   * The OpenTelemetry trace the message failed in (32 hex digits): the active span's when tracing
   * is on, else the one its `traceparent` header or envelope attribute names; `null` when none.
   */
  readonly traceId?: string | null | undefined;
}

export interface FailureRecord extends NewFailure {
  /** The failure's own id (not the message id). */
  readonly id: string;
  readonly status: FailureStatus;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
  /** How many times an operator retried it. */
  readonly retryCount: number;
  readonly retriedAt: Date | null;
  readonly resolvedAt: Date | null;
  /** The trace the message failed in, `null` when it carried none (see {@link NewFailure.traceId}). */
  readonly traceId: string | null;
}

export interface FailureQuery {
  readonly type?: string | undefined;
  readonly topic?: string | undefined;
  readonly service?: string | undefined;
  readonly queue?: string | undefined;
  readonly reason?: FailureReason | undefined;
  /**
   * The recorded error's class, `error.name`, matched exactly (case-sensitive), e.g.
   * `'ValidationError'` or `'TimeoutError'`. `text` matches it only as a substring, among other fields.
   *
   * @example
   * ```ts
   * const { items } = await failures.list({ errorName: 'TimeoutError', service: 'billing' });
   * ```
   */
  readonly errorName?: string | undefined;
  /** Default: every status but `deleted`. */
  readonly status?: FailureStatus | ReadonlyArray<FailureStatus> | undefined;
  /** Case-insensitive substring of the error message, error name/code, type or message id. */
  readonly text?: string | undefined;
  /** lastFailedAt >= from */
  readonly from?: Date | undefined;
  /** lastFailedAt < to */
  readonly to?: Date | undefined;
  readonly cursor?: string | undefined;
  /** Default 50, at most 500. */
  readonly limit?: number | undefined;
}

/**
 * Where messages go when they cannot be handled, so nothing is lost and an operator can look,
 * fix and replay. The bus writes here and only then acks the message.
 *
 * Every implementation behaves like the in-memory one (`InMemoryFailureStore`):
 * - `record` of the same (messageId, queue, handler) — `handler` null counting as one value —
 *   updates the existing record whatever its status (attempts added, every other given field
 *   replaced, `lastFailedAt` = now, status back to `failed`, `resolvedAt` cleared; `id`,
 *   `firstFailedAt`, `retryCount`, `retriedAt` kept) instead of adding a second.
 * - `list` orders by `lastFailedAt` descending, then `id` descending; `limit` is clamped to
 *   1..500 (default 50); `nextCursor` is an opaque string (null on the last page) and a cursor
 *   page continues strictly after the last item of the previous one.
 * - `get` returns records in any status, `deleted` included.
 */
export interface FailureStore {
  record(failure: NewFailure): Promise<FailureRecord>;
  get(id: string): Promise<FailureRecord | undefined>;
  list(query?: FailureQuery): Promise<Page<FailureRecord>>;
  /**
   * Atomically moves a `failed` record to `retried` (retryCount + 1) and returns it, or returns
   * `undefined` if it is not `failed` (already retried, resolved, deleted, unknown): so two
   * concurrent retries of one failure send it once.
   */
  claimRetry(id: string): Promise<FailureRecord | undefined>;
  /** Undoes a claim whose republish failed: `retried` → `failed`, `retryCount` - 1. A no-op in any other status. */
  releaseRetry(id: string): Promise<void>;
  /** A replayed message was handled: `retried` → `resolved` (`resolvedAt` = now). A no-op in any other status. */
  resolve(id: string): Promise<void>;
  /** Marks it `deleted` (from any other status; it stays readable with `get`). Returns false if unknown or already deleted. */
  delete(id: string): Promise<boolean>;
  /** Undoes a delete: a `deleted` record is `failed` again (ready to retry). Returns false if unknown or not deleted. */
  restore(id: string): Promise<boolean>;
}
