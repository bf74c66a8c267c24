import type { FailureRecord, FailureStore, Logger } from '@metro/core';

type Listener = (record: FailureRecord) => void;

/** Failures recorded this long before a subscription started are still pushed to it. */
const GRACE_MS = 1_000;
/**
 * Each poll looks back this far before the newest failure seen: a transaction that took its
 * timestamp earlier but committed later than another is still found (timestamps are not commit order).
 */
const OVERLAP_MS = 5_000;

/**
 * Watches the failure store for new failures (and failures that failed again) by polling on
 * `lastFailedAt` with an overlap window and a set of what it already pushed, and fans each one out
 * to the listeners. Polls only while someone listens: one query per interval however many
 * dashboards are open.
 */
export class FailureFeed {
  readonly #listeners = new Set<Listener>();
  #timer: NodeJS.Timeout | undefined;
  #watermark = 0;
  /** Nothing recorded before this (the first listener's start, less the grace) is pushed. */
  #floor = 0;
  /** Keys (`id@time`) already pushed, with their time, pruned as the window moves on. */
  readonly #seen = new Map<string, number>();
  #polling: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly store: FailureStore,
    private readonly pollMs: number,
    private readonly logger: Logger,
  ) {}

  /** Calls `listener` for each failure recorded from (about) now on; returns the unsubscribe function. */
  async subscribe(listener: Listener): Promise<() => void> {
    if (this.#listeners.size === 0) {
      this.#floor = Date.now() - GRACE_MS;
      this.#watermark = Math.max(this.#watermark, this.#floor);
    }
    this.#listeners.add(listener);
    if (this.#timer === undefined && this.#polling === undefined) this.#schedule();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
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
    const from = new Date(this.#watermark - OVERLAP_MS);
    const fresh: FailureRecord[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = await this.store.list({ from, limit: 500, status: ['failed', 'retried', 'resolved'], ...(cursor ? { cursor } : {}) });
      for (const record of page.items) {
        // Each key once, and nothing from before the listeners came.
        if (this.#seen.has(key(record)) || record.lastFailedAt.getTime() < this.#floor) continue;
        fresh.push(record);
      }
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    for (const [k, t] of this.#seen) if (t < from.getTime()) this.#seen.delete(k);
    if (fresh.length === 0) return;
    fresh.sort((a, b) => a.lastFailedAt.getTime() - b.lastFailedAt.getTime());
    this.#watermark = Math.max(this.#watermark, fresh[fresh.length - 1]!.lastFailedAt.getTime());
    for (const record of fresh) {
      this.#seen.set(key(record), record.lastFailedAt.getTime());
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
