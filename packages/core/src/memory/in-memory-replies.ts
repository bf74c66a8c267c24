import { RequestTimeoutError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Destination, ReplyMessage } from '../transport.js';
import type { InMemoryBodyArena } from './in-memory-body-arena.js';
import { InMemoryDeadlines, type Deadline } from './in-memory-deadlines.js';
import { describeDestination } from './in-memory-destination.js';

interface PendingRequest {
  readonly resolve: (reply: ReplyMessage) => void;
  readonly reject: (err: unknown) => void;
  readonly destination: Destination;
  readonly timeoutMs: number;
  readonly deadline: Deadline<number>;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/**
 * The requests of an in-memory broker that await their reply: each settles exactly once, with
 * the first reply, its `RequestTimeoutError`, its signal's reason, or the error it is failed
 * with; its deadline and abort listener are removed then. Later replies are dropped. Deadlines
 * share one timer per distinct `timeoutMs` ({@link InMemoryDeadlines}).
 */
export class InMemoryReplies {
  private readonly pending = new Map<number, PendingRequest>();
  private readonly deadlines = new InMemoryDeadlines<number>((id) => this.timedOut(id));
  private lastId = 0;

  constructor(
    private readonly logger: Logger,
    private readonly bodies: InMemoryBodyArena,
  ) {}

  /** A new request id (unique within this broker). */
  nextId(): number {
    return ++this.lastId;
  }

  /** Registers request `id`; the promise settles as described above. Enqueue the request after this. */
  await(id: number, destination: Destination, timeoutMs: number, signal: AbortSignal | undefined): Promise<ReplyMessage> {
    return new Promise<ReplyMessage>((resolve, reject) => {
      const onAbort = signal === undefined ? undefined : (): void => this.settle(id)?.reject(signal.reason);
      if (signal !== undefined) signal.addEventListener('abort', onAbort!, { once: true });
      const deadline = this.deadlines.add(id, timeoutMs);
      this.pending.set(id, { resolve, reject, destination, timeoutMs, deadline, signal, onAbort });
    });
  }

  /** Delivers a reply (its own copy of the bytes) to request `id`, or drops it if that request is settled. */
  reply(id: number, reply: ReplyMessage): void {
    const pending = this.settle(id);
    if (pending === undefined) {
      this.logger.debug({ requestId: id }, 'in-memory transport: late or repeated reply dropped');
      return;
    }
    pending.resolve({ body: this.bodies.copy(reply.body), contentType: reply.contentType, headers: { ...reply.headers } });
  }

  /** Fails every request still waiting (the transport closed). */
  failAll(err: Error): void {
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
    this.deadlines.clear();
  }

  private timedOut(id: number): void {
    const pending = this.settle(id);
    pending?.reject(new RequestTimeoutError(describeDestination(pending.destination), pending.timeoutMs));
  }

  /** Removes request `id` with its deadline and abort listener; the caller settles its promise. */
  private settle(id: number): PendingRequest | undefined {
    const pending = this.pending.get(id);
    if (pending === undefined) return undefined;
    this.pending.delete(id);
    this.deadlines.cancel(pending.deadline);
    if (pending.onAbort !== undefined) pending.signal!.removeEventListener('abort', pending.onAbort);
    return pending;
  }
}
