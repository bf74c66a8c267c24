import type { Inbox, InboxKey, InboxResult } from '../stores/inbox.js';

/**
 * An {@link Inbox} in process memory (`ctx.trx` is `undefined`). Work for one key runs at most
 * once to success; a concurrent run of the same key waits for the first, then is a duplicate if
 * it succeeded. Work that throws records nothing, so a redelivery runs it again.
 *
 * @example
 * ```ts
 * const metro = createMetro({ service: 'billing', transport, inbox: memoryInbox() });
 * metro.on(OrderPlaced, charge, { inbox: true });
 * ```
 */
export class InMemoryInbox implements Inbox<undefined> {
  private readonly done = new Set<string>();
  private readonly running = new Map<string, Promise<unknown>>();

  async run<T>(key: InboxKey, work: (trx: undefined) => Promise<T>): Promise<InboxResult<T>> {
    const id = `${key.consumer}\u0000${key.messageId}`;
    for (;;) {
      if (this.done.has(id)) return { duplicate: true };
      const inFlight = this.running.get(id);
      if (!inFlight) break;
      await inFlight.catch(() => undefined);
    }
    const promise = work(undefined);
    this.running.set(id, promise);
    try {
      const result = await promise;
      this.done.add(id);
      return { duplicate: false, result };
    } finally {
      this.running.delete(id);
    }
  }

  /** True when `key` was processed. */
  has(key: InboxKey): boolean {
    return this.done.has(`${key.consumer}\u0000${key.messageId}`);
  }
}

/**
 * Builds an {@link Inbox} in process memory ({@link InMemoryInbox}); `ctx.trx` is `undefined`.
 *
 * @example
 * ```ts
 * const metro = createMetro({ service: 'billing', transport, inbox: memoryInbox() });
 * ```
 */
export function memoryInbox(): InMemoryInbox {
  return new InMemoryInbox();
}
