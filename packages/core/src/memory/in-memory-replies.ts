import { RequestTimeoutError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ReplyMessage } from '../transport.js';

interface PendingRequest {
  resolve(reply: ReplyMessage): void;
  reject(err: unknown): void;
}

/**
 * The requests of an in-memory broker that await their reply: each settles exactly once, with
 * the first reply, its `RequestTimeoutError`, its signal's reason, or the error it is failed
 * with; its timer and abort listener are removed then. Later replies are dropped.
 */
export class InMemoryReplies {
  private readonly pending = new Map<string, PendingRequest>();

  constructor(private readonly logger: Logger) {}

  /** Registers request `id`; the promise settles as described above. Call `send()` after this. */
  await(id: string, where: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<ReplyMessage> {
    return new Promise<ReplyMessage>((resolve, reject) => {
      const finish = (settle: () => void): void => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const timer = setTimeout(() => finish(() => reject(new RequestTimeoutError(where, timeoutMs))), timeoutMs);
      const onAbort = (): void => finish(() => reject(signal?.reason));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve: (r) => finish(() => resolve(r)), reject: (e) => finish(() => reject(e)) });
    });
  }

  /** Delivers a reply (its own copy of the bytes) to request `id`, or drops it if that request is settled. */
  reply(id: string, reply: ReplyMessage): void {
    const pending = this.pending.get(id);
    if (pending === undefined) {
      this.logger.debug({ requestId: id }, 'in-memory transport: late or repeated reply dropped');
      return;
    }
    pending.resolve({ body: Buffer.from(reply.body), contentType: reply.contentType, headers: { ...reply.headers } });
  }

  /** Fails every request still waiting (the transport closed). */
  failAll(err: Error): void {
    for (const p of [...this.pending.values()]) p.reject(err);
  }
}
