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
}

export interface InboxKey {
  /** Who processes it: Metro uses `<service>:<handler>`. */
  readonly consumer: string;
  readonly messageId: string;
}

export type InboxResult<T> = { readonly duplicate: false; readonly result: T } | { readonly duplicate: true };
