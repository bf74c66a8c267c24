import type { Logger } from '@metro/core';

type Listener<T> = (value: T) => void;

/**
 * One poll shared by every subscriber: reads `read()` every `intervalMs` while at least one
 * listener is subscribed and fans each result out, so 50 open dashboards cost one query set per
 * interval, not 50. A new listener gets the latest result at once when there is one.
 */
export class LiveStatsHub<T> {
  readonly #listeners = new Set<Listener<T>>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #latest: T | undefined;
  #closed = false;
  /** How many times `read()` ran (what the tests count). */
  reads = 0;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Calls `listener` with each new result; returns the unsubscribe function. */
  async subscribe(listener: Listener<T>): Promise<() => void> {
    this.#listeners.add(listener);
    if (this.#latest !== undefined) listener(this.#latest);
    if (this.#timer === undefined && this.#polling === undefined) this.#poll();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#latest = undefined;
      }
    };
  }

  #poll(): void {
    if (this.#closed || this.#listeners.size === 0) return;
    this.#timer = undefined;
    this.reads++;
    this.#polling = this.read()
      .then((value) => {
        if (this.#listeners.size === 0) return;
        this.#latest = value;
        for (const listener of this.#listeners) listener(value);
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'live stats failed; trying again'))
      .finally(() => {
        this.#polling = undefined;
        if (this.#closed || this.#listeners.size === 0) return;
        this.#timer = setTimeout(() => this.#poll(), this.intervalMs);
        this.#timer.unref?.();
      });
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
