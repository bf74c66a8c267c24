import type { FailureRecord, FailureStore, Logger } from '@metro/core';

type Listener = (record: FailureRecord) => void;

/**
 * Watches the failure store for new failures (and failures that failed again) by keyset polling on
 * `lastFailedAt`, and fans each one out to the listeners. Polls only while someone listens: one
 * query per interval however many dashboards are open.
 */
export class FailureFeed {
  readonly #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #watermark: Date | undefined;
  /** Keys (`id@time`) already emitted at exactly the watermark. */
  #atWatermark = new Set<string>();
  #polling: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly store: FailureStore,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  /** Calls `listener` for each new failure from now on; returns the unsubscribe function. */
  async subscribe(listener: Listener): Promise<() => void> {
    const first = this.#listeners.size === 0;
    if (first) await this.#initialize();
    this.#listeners.add(listener);
    if (first && this.#timer === undefined && this.#polling === undefined) this.#schedule();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  async #initialize(): Promise<void> {
    const newest = await this.store.list({ limit: 1, status: ['failed', 'retried', 'resolved', 'deleted'] });
    const first = newest.items[0];
    this.#watermark = first ? first.lastFailedAt : new Date(0);
    this.#atWatermark = new Set(first ? [key(first)] : []);
  }

  #schedule(): void {
    if (this.#closed || this.#listeners.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#polling = this.#poll()
        .catch((err: unknown) => this.logger.warn({ err }, 'failure feed poll failed; retrying'))
        .finally(() => {
          this.#polling = undefined;
          this.#schedule();
        });
    }, this.pollMs);
    this.#timer.unref?.();
  }

  async #poll(): Promise<void> {
    const from = this.#watermark ?? new Date(0);
    const fresh: FailureRecord[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await this.store.list({ from, limit: 500, status: ['failed', 'retried', 'resolved'], ...(cursor ? { cursor } : {}) });
      for (const record of page.items) {
        if (record.lastFailedAt.getTime() === from.getTime() && this.#atWatermark.has(key(record))) continue;
        fresh.push(record);
      }
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    if (fresh.length === 0) return;
    fresh.sort((a, b) => a.lastFailedAt.getTime() - b.lastFailedAt.getTime());
    const newest = fresh[fresh.length - 1]!.lastFailedAt;
    if (newest.getTime() !== from.getTime()) this.#atWatermark = new Set();
    for (const record of fresh) if (record.lastFailedAt.getTime() === newest.getTime()) this.#atWatermark.add(key(record));
    this.#watermark = newest;
    for (const record of fresh) {
      for (const listener of this.#listeners) {
        try {
          listener(record);
        } catch (err) {
          this.logger.warn({ err }, 'failure feed listener threw');
        }
      }
    }
  }

  /** Stops polling and drops every listener. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }
}

function key(record: FailureRecord): string {
  return `${record.id}@${record.lastFailedAt.getTime()}`;
}
