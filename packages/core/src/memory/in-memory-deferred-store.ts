import type { DeferredQuery, DeferredRecord, DeferredStore, NewDeferred } from '../stores/deferred-store.js';
import type { Page } from '../stores/page.js';
import { pageLimit } from './in-memory-page-cursor.js';

/**
 * A {@link DeferredStore} in process memory: Metro's default. Sequence numbers start at 1 and
 * only grow; listings are oldest (lowest seq) first. Use `pgDeferredStore` in production.
 *
 * @example
 * ```ts
 * const deferred = memoryDeferredStore();
 * const metro = createMetro({ service: 'billing', transport, deferred });
 * const { items } = await deferred.list();
 * ```
 */
export class InMemoryDeferredStore implements DeferredStore {
  private readonly records = new Map<number, DeferredRecord>();
  private lastSeq = 0;

  async defer(message: NewDeferred): Promise<DeferredRecord> {
    const record: DeferredRecord = Object.freeze({ ...message, seq: ++this.lastSeq, deferredAt: new Date() });
    this.records.set(record.seq, record);
    return record;
  }

  async get(seq: number): Promise<DeferredRecord | undefined> {
    return this.records.get(seq);
  }

  async list(query: DeferredQuery = {}): Promise<Page<DeferredRecord>> {
    const limit = pageLimit(query.limit);
    const after = query.cursor ? Number(query.cursor) : 0;
    const matching = [...this.records.values()]
      .filter((r) => r.seq > after)
      .filter((r) => query.type === undefined || r.type === query.type)
      .filter((r) => query.service === undefined || r.service === query.service)
      .sort((a, b) => a.seq - b.seq);
    const items = matching.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: matching.length > limit && last ? String(last.seq) : null };
  }

  async take(seq: number): Promise<DeferredRecord | undefined> {
    const record = this.records.get(seq);
    if (record) this.records.delete(seq);
    return record;
  }

  async restore(record: DeferredRecord): Promise<void> {
    if (!this.records.has(record.seq)) this.records.set(record.seq, record);
  }
}

/**
 * Builds a {@link DeferredStore} in process memory ({@link InMemoryDeferredStore}): the bus's default.
 *
 * @example
 * ```ts
 * const metro = createMetro({ service: 'billing', transport, deferred: memoryDeferredStore() });
 * ```
 */
export function memoryDeferredStore(): InMemoryDeferredStore {
  return new InMemoryDeferredStore();
}
