import type { Duration } from '../duration.js';
import type { Envelope } from '../envelope.js';
import type { Logger } from '../logger.js';
import type { RateLimit } from '../rate-limit/rate-limit.js';
import type { RetryOptions } from '../retry-policy.js';
import type { HandlerContext } from './handler-context.js';

/**
 * One message of a batch handed to an `onBatch` or `handleBatch` handler: its validated payload and where it
 * came from.
 *
 * @example
 * ```ts
 * metro.onBatch(OrderPlaced, async (batch) => {
 *   await db.insertInto('orders').values(batch.map((item) => ({ id: item.data.orderId, message_id: item.messageId }))).execute();
 * });
 * ```
 */
export interface BatchItem<P = unknown> {
  /** The payload, validated (and parsed) by the definition's schema. */
  readonly data: P;
  /** The decoded envelope. */
  readonly envelope: Envelope;
  /** The envelope id (stable across retries and replays). */
  readonly messageId: string;
  /** 1 for the first delivery, then 2, 3, ... for this message's retries. */
  readonly attempt: number;
  readonly correlationId: string;
  /**
   * The message's own context: `publish` / `send` carry this message's correlation and causation
   * ids, `defer()` sets this message aside (it is then acked, whatever the batch does), `logger`
   * carries its ids. Its `trx` is undefined: the batch's transaction is `ctx.trx` of the batch.
   */
  readonly context: HandlerContext;
}

/**
 * What an `onBatch` or `handleBatch` handler gets next to its batch.
 *
 * @example
 * ```ts
 * metro.onBatch(OrderPlaced, async (batch, ctx) => {
 *   for (const item of batch) if (item.data.total < 0) ctx.fail(item, new Error('negative total'));
 *   await insertAll(batch.filter((item) => item.data.total >= 0), { signal: ctx.signal });
 * });
 * ```
 */
export interface BatchContext<Trx = unknown> {
  /** The handler's name (failure records and retries name it). */
  readonly handler: string;
  /** The queue the batch was consumed from. */
  readonly queue: string;
  /** A child of Metro's logger carrying service, handler and the batch's size. */
  readonly logger: Logger;
  /** Aborted when the batch times out or Metro stops: pass it to fetch/db calls. */
  readonly signal: AbortSignal;
  /** The inbox transaction when the handler has `inbox: true` ({@link InboxBatchContext}); otherwise undefined. */
  readonly trx: Trx | undefined;
  /**
   * Fails one message of the batch: when the handler returns, that message alone goes to its
   * retry policy (a retry, or a failure record once attempts are exhausted); the others are acked.
   * Failing an item twice keeps the last error.
   */
  fail(item: BatchItem<unknown>, error: unknown): void;
}

/** The context of an `onBatch` or `handleBatch` handler registered with `{ inbox: true }`: `ctx.trx` is always there. */
export interface InboxBatchContext<Trx = unknown> extends BatchContext<Trx> {
  /** The inbox transaction: the batch's writes commit together with the processed message ids. */
  readonly trx: Trx;
}

/** A batch handler: up to `maxSize` messages of one type at once, and the {@link BatchContext}. */
export type BatchHandler<P, Trx = unknown> = (batch: ReadonlyArray<BatchItem<P>>, ctx: BatchContext<Trx>) => unknown;

/** A batch handler registered with `{ inbox: true }`: its `ctx.trx` is the inbox transaction. */
export type InboxBatchHandler<P, Trx = unknown> = (batch: ReadonlyArray<BatchItem<P>>, ctx: InboxBatchContext<Trx>) => unknown;

/** Options of `metro.onBatch` and `metro.handleBatch`. */
export interface BatchOptions {
  /**
   * Most messages in one batch. It must fit the queue's `concurrency` and `prefetch` (a message
   * waiting in a batch holds its slot), else registering throws a `ConfigurationError`.
   * Default: 10, or the queue's concurrency (or prefetch) when that is smaller.
   */
  readonly maxSize?: number;
  /** The longest the first message of a batch waits for others before the batch runs as it is. Default `'50ms'`. */
  readonly maxWait?: Duration;
  /** Stable name (failure records, retries and replays refer to it). Default `${topic}.${type}#${index}` (`onBatch`), `${service}:${type}` (`handleBatch`, as `handle`). */
  readonly name?: string;
  /** Overrides Metro's `retry` for this handler; applied per message (each message counts its own attempts). */
  readonly retry?: RetryOptions;
  /** Overrides Metro's `handlerTimeout`: how long one call of the batch handler may take. */
  readonly timeout?: Duration;
  /** Higher runs first among the handlers of one message. Default 0. */
  readonly priority?: number;
  /**
   * Run the batch inside the inbox (needs createMetro `inbox` with `runBatch`): one transaction per
   * batch; messages the inbox saw already are left out of the batch (and acked); the ids of the
   * others are recorded with the batch's writes, except those the handler failed.
   */
  readonly inbox?: boolean;
  /**
   * At most this many messages per period join this handler's batches, in this process: each
   * message takes its slot before it joins a batch, as for `metro.on`'s `rateLimit` (a message
   * whose slot is more than 1 s away, or that would wait with a quarter of the queue's concurrency
   * already waiting, is deferred through the broker to its slot). Batches fill at that pace and
   * run up to `maxWait` after their first message, so the handler sees the limit on average (one
   * period may see up to one batch more). Not applied in `sync` mode.
   *
   * @example
   * ```ts
   * metro.onBatch(OrderPlaced, (batch) => crm.pushMany(batch.map((i) => i.data)), { maxSize: 10, maxWait: '500ms', rateLimit: { messages: 20, per: '1s' } });
   * ```
   */
  readonly rateLimit?: RateLimit;
}

/** Options of a batch handler that runs inside the inbox: its `ctx.trx` is defined ({@link InboxBatchContext}). */
export interface InboxBatchOptions extends BatchOptions {
  readonly inbox: true;
}
