import { uuidv7 } from '../id.js';
import type { FailureQuery, FailureRecord, FailureStatus, FailureStore, NewFailure } from '../stores/failure-store.js';
import type { Page } from '../stores/page.js';
import { pageLimit } from './in-memory-page-cursor.js';

type MutableRecord = { -readonly [K in keyof FailureRecord]: FailureRecord[K] };

function keyOf(f: { messageId: string; queue: string; handler: string | null }): string {
  return `${f.messageId}\u0000${f.queue}\u0000${f.handler ?? ''}`;
}

function snapshot(record: MutableRecord): FailureRecord {
  return Object.freeze({ ...record });
}

/** Newest `lastFailedAt` first, then id descending: the order every FailureStore lists in. */
function compare(a: FailureRecord, b: FailureRecord): number {
  return b.lastFailedAt.getTime() - a.lastFailedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * A {@link FailureStore} in process memory: Metro's default, and the reference for the
 * semantics every store implements (see the interface). Lost when the process exits: use
 * `pgFailureStore` from @metro/outbox-pg in production.
 *
 * @example
 * ```ts
 * const failures = memoryFailureStore();
 * const metro = createMetro({ service: 'billing', transport, failures });
 * const { items } = await failures.list({ reason: 'validation' });
 * ```
 */
export class InMemoryFailureStore implements FailureStore {
  private readonly records = new Map<string, MutableRecord>();
  private readonly byKey = new Map<string, string>();

  async record(failure: NewFailure): Promise<FailureRecord> {
    const now = new Date();
    const key = keyOf(failure);
    const existingId = this.byKey.get(key);
    const existing = existingId === undefined ? undefined : this.records.get(existingId);
    if (existing) {
      Object.assign(existing, failure, {
        traceId: failure.traceId ?? null,
        attempts: existing.attempts + failure.attempts,
        lastFailedAt: now,
        status: 'failed' as FailureStatus,
        resolvedAt: null,
      });
      return snapshot(existing);
    }
    const record: MutableRecord = {
      ...failure,
      traceId: failure.traceId ?? null,
      id: uuidv7(),
      status: 'failed',
      firstFailedAt: now,
      lastFailedAt: now,
      retryCount: 0,
      retriedAt: null,
      resolvedAt: null,
    };
    this.records.set(record.id, record);
    this.byKey.set(key, record.id);
    return snapshot(record);
  }

  async get(id: string): Promise<FailureRecord | undefined> {
    const record = this.records.get(id);
    return record ? snapshot(record) : undefined;
  }

  async list(query: FailureQuery = {}): Promise<Page<FailureRecord>> {
    const limit = pageLimit(query.limit);
    const statuses: ReadonlyArray<FailureStatus> =
      query.status === undefined ? ['failed', 'retried', 'resolved'] : typeof query.status === 'string' ? [query.status] : query.status;
    const text = query.text?.toLowerCase();
    let after: { time: number; id: string } | undefined;
    if (query.cursor) {
      const [time, id] = query.cursor.split('|');
      after = { time: Number(time), id: id ?? '' };
    }
    const matching = [...this.records.values()]
      .filter((r) => statuses.includes(r.status))
      .filter((r) => query.type === undefined || r.type === query.type)
      .filter((r) => query.topic === undefined || r.topic === query.topic)
      .filter((r) => query.service === undefined || r.service === query.service)
      .filter((r) => query.queue === undefined || r.queue === query.queue)
      .filter((r) => query.reason === undefined || r.reason === query.reason)
      .filter((r) => query.errorName === undefined || r.error.name === query.errorName)
      .filter((r) => query.from === undefined || r.lastFailedAt.getTime() >= query.from.getTime())
      .filter((r) => query.to === undefined || r.lastFailedAt.getTime() < query.to.getTime())
      .filter(
        (r) => text === undefined || [r.error.message, r.error.name, r.error.code ?? '', r.type ?? '', r.messageId].some((s) => s.toLowerCase().includes(text)),
      )
      .sort(compare)
      .filter((r) => {
        if (!after) return true;
        const t = r.lastFailedAt.getTime();
        return t < after.time || (t === after.time && r.id < after.id);
      });
    const items = matching.slice(0, limit).map(snapshot);
    const last = items[items.length - 1];
    const nextCursor = matching.length > limit && last ? `${last.lastFailedAt.getTime()}|${last.id}` : null;
    return { items, nextCursor };
  }

  async claimRetry(id: string): Promise<FailureRecord | undefined> {
    const record = this.records.get(id);
    if (!record || record.status !== 'failed') return undefined;
    record.status = 'retried';
    record.retryCount += 1;
    record.retriedAt = new Date();
    return snapshot(record);
  }

  async releaseRetry(id: string): Promise<void> {
    const record = this.records.get(id);
    if (!record || record.status !== 'retried') return;
    record.status = 'failed';
    record.retryCount = Math.max(0, record.retryCount - 1);
  }

  async resolve(id: string): Promise<void> {
    const record = this.records.get(id);
    if (!record || record.status !== 'retried') return;
    record.status = 'resolved';
    record.resolvedAt = new Date();
  }

  async delete(id: string): Promise<boolean> {
    const record = this.records.get(id);
    if (!record || record.status === 'deleted') return false;
    record.status = 'deleted';
    return true;
  }

  async restore(id: string): Promise<boolean> {
    const record = this.records.get(id);
    if (!record || record.status !== 'deleted') return false;
    record.status = 'failed';
    return true;
  }
}

/**
 * Builds a {@link FailureStore} in process memory ({@link InMemoryFailureStore}): the bus's default.
 *
 * @example
 * ```ts
 * const metro = createMetro({ service: 'billing', transport, failures: memoryFailureStore() });
 * ```
 */
export function memoryFailureStore(): InMemoryFailureStore {
  return new InMemoryFailureStore();
}
