import type { Envelope } from '../envelope.js';
import type { HeaderValue } from '../transport.js';
import type { Page } from './page.js';

export interface NewDeferred {
  readonly messageId: string;
  readonly service: string;
  /** The queue it was consumed from: resuming replays it into this queue. */
  readonly queue: string;
  /** The handler that deferred it: resuming re-runs only this handler. */
  readonly handler: string | null;
  readonly type: string;
  readonly reason: string | null;
  readonly correlationId: string | null;
  readonly envelope: Envelope;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

export interface DeferredRecord extends NewDeferred {
  /** Increasing sequence number, the deferred message's id. */
  readonly seq: number;
  readonly deferredAt: Date;
}

export interface DeferredQuery {
  readonly type?: string | undefined;
  readonly service?: string | undefined;
  readonly cursor?: string | undefined;
  /** Default 50, at most 500. */
  readonly limit?: number | undefined;
}

/**
 * Messages a handler set aside with `ctx.defer()`: acked from the queue, kept here under a
 * sequence number until `completeDeferred(seq)` or `resumeDeferred(seq)`.
 *
 * Every implementation behaves like `InMemoryDeferredStore`: `seq` starts at 1 and only grows
 * (never reused); `list` is ordered by `seq` ascending (oldest first), `limit` clamped to 1..500
 * (default 50), `nextCursor` opaque (null on the last page), a cursor page continues strictly
 * after the previous page's last seq; `type` and `service` filter exactly.
 */
export interface DeferredStore {
  defer(message: NewDeferred): Promise<DeferredRecord>;
  get(seq: number): Promise<DeferredRecord | undefined>;
  list(query?: DeferredQuery): Promise<Page<DeferredRecord>>;
  /** Removes and returns it (for resume and complete); `undefined` if it is not there. Atomic: two takers get it once. */
  take(seq: number): Promise<DeferredRecord | undefined>;
  /** Puts back a record whose resume failed to publish, keeping its seq and `deferredAt`. A no-op if that seq is present. */
  restore(record: DeferredRecord): Promise<void>;
}
