import type { Inbox, InboxBatch, InboxBatchResult, InboxBatchWork, InboxKey, InboxResult } from '../stores/inbox.js';

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

  async runBatch<T>(batch: InboxBatch, work: (trx: undefined, fresh: ReadonlyArray<string>) => Promise<InboxBatchWork<T>>): Promise<InboxBatchResult<T>> {
    const keyOf = (messageId: string): string => `${batch.consumer}\u0000${messageId}`;
    const ids = [...new Set(batch.messageIds)];
    for (;;) {
      const inFlight = ids.map((id) => this.running.get(keyOf(id))).filter((p) => p !== undefined);
      if (inFlight.length === 0) break;
      await Promise.allSettled(inFlight);
    }
    const fresh = ids.filter((id) => !this.done.has(keyOf(id)));
    if (fresh.length === 0) return { fresh, result: undefined };
    const promise = work(undefined, fresh);
    for (const id of fresh) this.running.set(keyOf(id), promise);
    try {
      const outcome = await promise;
      const unprocessed = new Set(outcome.unprocessed ?? []);
      for (const id of fresh) if (!unprocessed.has(id)) this.done.add(keyOf(id));
      return { fresh, result: outcome.result };
    } finally {
      for (const id of fresh) this.running.delete(keyOf(id));
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
