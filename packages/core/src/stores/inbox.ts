/**
 * Effectively-once processing: runs a handler's work at most once per (consumer, messageId),
 * in one transaction that also records the id. A redelivered duplicate is skipped.
 * `Trx` is the transaction the work gets (`ctx.trx` in a handler): a kysely `Transaction` for
 * the PostgreSQL inbox, `undefined` for the in-memory one.
 */
export interface Inbox<Trx = unknown> {
  /**
   * Runs `work` unless `key` was already processed. On success the key is recorded together with
   * the work's writes (same transaction) and `{ duplicate: false, result }` is returned. If
   * `work` throws, nothing is recorded (the transaction rolls back) and the error propagates, so
   * a redelivery runs it again. A concurrent run of the same key waits for the first one and is
   * then a duplicate (if it committed) or runs (if it rolled back). A processed key returns
   * `{ duplicate: true }` without calling `work`.
   */
  run<T>(key: InboxKey, work: (trx: Trx) => Promise<T>): Promise<InboxResult<T>>;
  /**
   * Optional (`onBatch` / `handleBatch` with `{ inbox: true }` need it): the batch form of {@link run}. In one
   * transaction, records the ids of `batch.messageIds` not processed yet (`fresh`, each once, in
   * the order given) and runs `work` once with them; ids the work returns as `unprocessed` are
   * not recorded (their messages failed and come again). If no id is fresh, `work` is not called
   * (`result` undefined). If `work` throws, nothing is recorded. Concurrent runs sharing an id
   * behave as {@link run} does for that id.
   */
  runBatch?<T>(batch: InboxBatch, work: (trx: Trx, fresh: ReadonlyArray<string>) => Promise<InboxBatchWork<T>>): Promise<InboxBatchResult<T>>;
}

/** The keys of one batch: one consumer, many message ids. */
export interface InboxBatch {
  /** Who processes it: Metro uses `<service>:<handler>`. */
  readonly consumer: string;
  readonly messageIds: ReadonlyArray<string>;
}

/** What the work of {@link Inbox.runBatch} returns. */
export interface InboxBatchWork<T> {
  readonly result: T;
  /** Fresh ids whose messages the work did not process (it failed them): not recorded. */
  readonly unprocessed?: ReadonlyArray<string>;
}

/** What {@link Inbox.runBatch} resolves with. */
export interface InboxBatchResult<T> {
  /** The ids the work ran for (not processed before); the others were duplicates. */
  readonly fresh: ReadonlyArray<string>;
  /** The work's result; undefined when no id was fresh and the work did not run. */
  readonly result: T | undefined;
}

export interface InboxKey {
  /** Who processes it: Metro uses `<service>:<handler>`. */
  readonly consumer: string;
  readonly messageId: string;
}

export type InboxResult<T> = { readonly duplicate: false; readonly result: T } | { readonly duplicate: true };
