import type { HeaderValue, ReplyMessage } from '../transport.js';
import type { Logger } from '../logger.js';
import type { InMemoryBodyArena } from './in-memory-body-arena.js';

/**
 * A published message as the in-memory broker keeps it, and as one queue holds it: its own copy of
 * the bytes (in an arena chunk) and headers, plus that queue's bookkeeping. One object per queue:
 * a message routed to several queues is cloned for each but the first (`{ ...message }`), so a
 * queue of n messages holds n of these and their headers, and nothing else per message.
 */
export interface QueuedMessage {
  /** The body is `bodyLength` bytes of `bodyChunk` from `bodyOffset` (see `InMemoryBodyArena`); read it with `InMemoryBodyArena.read`. */
  readonly bodyChunk: Uint8Array;
  readonly bodyOffset: number;
  readonly bodyLength: number;
  readonly messageId: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly priority: number | undefined;
  readonly expiresInMs: number | undefined;
  readonly timestamp: number | undefined;
  readonly topic: string | undefined;
  readonly subject: string | undefined;
  /** Set on requests: the id of the pending request a reply goes to. */
  readonly replyTo: number | undefined;
  /** Set by `enqueue`: the priority the queue orders by (0 unless it has `maxPriority`). */
  rank: number;
  /** Set by `enqueue`: when it expires in the queue (ms since the epoch), if it does. */
  expiresAt: number | undefined;
  redelivered: boolean;
}

/** What a queue needs from one of its consumers (`InMemoryConsumer` is the one). */
export interface QueueConsumer {
  readonly queue: string;
  /** True while no handler call is running and no delivery awaits its settlement. */
  readonly idle: boolean;
  /** True while it may take one more message (not cancelling, under concurrency and prefetch). */
  hasCapacity(): boolean;
  /** Hands one message to the consumer's handler. */
  deliver(entry: QueuedMessage): void;
  cancel(): Promise<void>;
}

/** What a queue and its consumers need from the broker that owns them. */
export interface InMemoryBrokerHooks {
  readonly logger: Logger;
  /** Where message bodies are kept, and where the copies handed to consumers come from. */
  readonly bodies: InMemoryBodyArena;
  /** Something changed that may make the broker idle (for `whenIdle`). */
  changed(): void;
  /** The `reply` function of a delivery whose message is a request. */
  replyTo(requestId: number): (message: ReplyMessage) => Promise<void>;
  /** A consumer of this queue was cancelled and has no message in flight any more. */
  consumerStopped(consumer: QueueConsumer, queue: InMemoryQueue): void;
}

/**
 * A durable named queue of the in-memory broker: ready messages (highest priority first when
 * `maxPriority` is set, FIFO otherwise), its consumers served round-robin, per-message expiry.
 * Dispatch always happens on a later macrotask, never inside `publish`.
 */
export class InMemoryQueue {
  readonly consumers: QueueConsumer[] = [];
  private ready: QueuedMessage[] = [];
  private head = 0;
  private cursor = 0;
  private dispatchScheduled = false;
  /** Ready messages that carry an expiry (0: no need to scan for expired ones). */
  private expiring = 0;

  constructor(
    readonly name: string,
    readonly maxPriority: number | undefined,
    readonly temporary: boolean,
    readonly hooks: InMemoryBrokerHooks,
  ) {}

  /** Appends a new message (behind every message of the same or higher priority); `entry` must be in no other queue. */
  enqueue(entry: QueuedMessage): void {
    const rank = this.effectivePriority(entry.priority);
    entry.rank = rank;
    entry.expiresAt = entry.expiresInMs !== undefined && entry.expiresInMs >= 0 ? Date.now() + entry.expiresInMs : undefined;
    entry.redelivered = false;
    if (entry.expiresAt !== undefined) this.expiring++;
    const last = this.ready[this.ready.length - 1];
    if (this.ready.length === this.head || (last !== undefined && last.rank >= rank)) this.ready.push(entry);
    else
      this.ready.splice(
        this.firstIndex((p) => p < rank),
        0,
        entry,
      );
    this.scheduleDispatch();
  }

  /** Puts a message back at the front of its priority band, marked redelivered. */
  requeue(entry: QueuedMessage): void {
    entry.redelivered = true;
    if (entry.expiresAt !== undefined) this.expiring++;
    const first = this.ready[this.head];
    if (first === undefined || first.rank <= entry.rank) {
      if (this.head > 0) this.ready[--this.head] = entry;
      else this.ready.unshift(entry);
    } else {
      this.ready.splice(
        this.firstIndex((p) => p <= entry.rank),
        0,
        entry,
      );
    }
    this.scheduleDispatch();
  }

  /** Messages ready for delivery (expired ones are dropped first). */
  readyCount(now = Date.now()): number {
    if (this.expiring > 0) {
      let expired = 0;
      for (let i = this.head; i < this.ready.length; i++) if (isExpired(this.ready[i]!, now)) expired++;
      if (expired > 0) {
        this.ready = this.ready.slice(this.head).filter((e) => !isExpired(e, now));
        this.head = 0;
        this.expiring = this.ready.filter((e) => e.expiresAt !== undefined).length;
        this.hooks.logger.debug({ queue: this.name, dropped: expired }, 'in-memory transport: expired messages dropped');
      }
    }
    return this.ready.length - this.head;
  }

  addConsumer(consumer: QueueConsumer): void {
    this.consumers.push(consumer);
    this.scheduleDispatch();
  }

  removeConsumer(consumer: QueueConsumer): void {
    const i = this.consumers.indexOf(consumer);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (i < this.cursor) this.cursor--;
  }

  /** Drops every ready message (the queue was deleted). */
  purge(): void {
    this.ready = [];
    this.head = 0;
    this.expiring = 0;
  }

  /** Asks for a dispatch round on a later macrotask (coalesced). */
  scheduleDispatch(): void {
    if (this.dispatchScheduled) return;
    this.dispatchScheduled = true;
    setImmediate(() => {
      this.dispatchScheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    const now = this.expiring > 0 ? Date.now() : 0; // read only for entries that carry an expiry
    while (this.head < this.ready.length) {
      const consumer = this.nextConsumerWithCapacity();
      if (consumer === undefined) break;
      const entry = this.ready[this.head]!;
      this.ready[this.head++] = undefined as unknown as QueuedMessage;
      if (entry.expiresAt !== undefined) this.expiring--;
      if (isExpired(entry, now)) {
        this.hooks.logger.debug({ queue: this.name, messageId: entry.messageId }, 'in-memory transport: expired message dropped');
        continue;
      }
      consumer.deliver(entry);
    }
    if (this.head === this.ready.length) {
      this.ready = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.head);
      this.head = 0;
    }
    this.hooks.changed();
  }

  private nextConsumerWithCapacity(): QueueConsumer | undefined {
    const n = this.consumers.length;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const consumer = this.consumers[i]!;
      if (consumer.hasCapacity()) {
        this.cursor = (i + 1) % n;
        return consumer;
      }
    }
    return undefined;
  }

  private effectivePriority(priority: number | undefined): number {
    if (this.maxPriority === undefined || priority === undefined || !(priority > 0)) return 0;
    return Math.min(Math.floor(priority), this.maxPriority);
  }

  /** First index at or after `head` whose priority satisfies `pred` (ready is sorted by priority, descending). */
  private firstIndex(pred: (priority: number) => boolean): number {
    let lo = this.head;
    let hi = this.ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(this.ready[mid]!.rank)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function isExpired(entry: QueuedMessage, now: number): boolean {
  return entry.expiresAt !== undefined && now > entry.expiresAt;
}

/** Enqueues `message` into each of `targets`: itself into the first, a copy into each other (a queue entry belongs to one queue). */
export function enqueueInto(targets: ReadonlyArray<InMemoryQueue>, message: QueuedMessage): void {
  for (let i = 0; i < targets.length; i++) targets[i]!.enqueue(i === 0 ? message : { ...message });
}
