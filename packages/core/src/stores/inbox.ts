/**
 * Effectively-once processing: runs a handler's work at most once per (consumer, messageId),
 * in one transaction that also records the id. A redelivered duplicate is skipped.
 * `Trx` is the transaction the work gets (`ctx.trx` in a handler): a kysely `Transaction` for
 * the PostgreSQL inbox, `undefined` for the in-memory one.
 */
export interface Inbox<Trx = unknown> {
  run<T>(key: InboxKey, work: (trx: Trx) => Promise<T>): Promise<InboxResult<T>>;
}

export interface InboxKey {
  /** Who processes it: Metro uses `<service>:<handler>`. */
  readonly consumer: string;
  readonly messageId: string;
}

export type InboxResult<T> = { readonly duplicate: false; readonly result: T } | { readonly duplicate: true };
