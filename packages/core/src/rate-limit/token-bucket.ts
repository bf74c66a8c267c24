import type { ResolvedRateLimit } from './rate-limit.js';

/**
 * A token bucket kept as one number, the time the next token is due when the bucket is empty
 * (the generic cell rate algorithm): taking a token reserves the earliest slot the limit allows
 * and says how long to wait for it, so every waiter knows its time at once and timers that fire
 * late lose no tokens.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ intervalMs: 100, burst: 2 });
 * bucket.take(); // 0 (now)
 * bucket.take(); // 0 (the burst)
 * bucket.take(); // 100: wait 100 ms for this slot
 * ```
 */
export class TokenBucket {
  /** When the next token is due once the burst is spent (the "theoretical arrival time"). */
  private due = Number.NEGATIVE_INFINITY;
  private readonly toleranceMs: number;

  constructor(
    private readonly limit: ResolvedRateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.toleranceMs = (limit.burst - 1) * limit.intervalMs;
  }

  /** Milliseconds until a token taken now would be usable (0: at once). Takes nothing. */
  wait(): number {
    const now = this.now();
    return Math.max(0, this.due - this.toleranceMs - now);
  }

  /** Takes the next token: returns how many milliseconds from now its slot is (0: use it at once). */
  take(): number {
    const now = this.now();
    const due = Math.max(this.due, now);
    const slot = Math.max(now, due - this.toleranceMs);
    this.due = due + this.limit.intervalMs;
    return slot - now;
  }
}
