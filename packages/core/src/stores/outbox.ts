import type { MessageDefinition, Payload, PayloadInput } from '../definitions.js';
import type { EnvelopeOptions } from '../create-envelope.js';
import type { Envelope } from '../envelope.js';
import type { HeaderValue } from '../transport.js';
import type { UnroutablePolicy } from '../unroutable-policy.js';

/** Options of one outbox publish: the envelope options plus transport extras. */
export interface OutboxPublishOptions extends EnvelopeOptions {
  readonly headers?: Readonly<Record<string, HeaderValue>> | undefined;
  readonly priority?: number | undefined;
  /** Deliver no sooner than this many ms after the row is published. */
  readonly delayMs?: number | undefined;
  /**
   * Events: overrides the definition's policy for when no queue receives the row (`'accept'`: the
   * row is done, logged and counted; `'error'`: retried, then `failed`). It is stored with the row.
   * Commands are always errors when unroutable (`'accept'` is a `ConfigurationError`).
   */
  readonly unroutable?: UnroutablePolicy | undefined;
}

/**
 * The transactional outbox: `publish` validates the payload (a `ValidationError` to the caller,
 * nothing stored), builds the envelope (correlation from the current context) and stores the
 * encoded message as part of the caller's transaction `trx`. Nothing is sent unless and until
 * that transaction commits; a rolled-back transaction sends nothing. After commit, rows are
 * published through the transport in the order they were written (per transaction), at least
 * once: a failed publish is retried, never dropped, except an event no queue receives under the
 * `accept` unroutable policy (the default), which is done once the broker has it, logged and
 * counted. Resolves with the stored envelope.
 *
 * `Trx` is the transaction type: a kysely `Transaction` (or `pg` client) for @metro/outbox-pg,
 * a `MemoryTransaction` for the in-memory outbox.
 */
export interface Outbox<Trx = unknown> {
  publish<D extends MessageDefinition>(trx: Trx, definition: D, payload: PayloadInput<D>, options?: OutboxPublishOptions): Promise<Envelope<Payload<D>>>;
}
