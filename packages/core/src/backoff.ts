/**
 * How a delay is randomised (AWS's names, "Exponential Backoff And Jitter"):
 * - `none`: the exponential delay itself;
 * - `equal`: between half the delay and the delay (retries spread out, never much earlier);
 * - `full`: between half the initial delay and the delay (spreads a crowd of reconnecting
 *   clients the most, never at 0 ms).
 */
export type Jitter = 'none' | 'equal' | 'full';

/** An exponential backoff: `initialMs * factor^attempt`, capped at `maxMs`, then jittered. */
export interface Backoff {
  /** The delay of the first retry (attempt 0), before jitter. */
  readonly initialMs: number;
  /** The longest delay, before jitter. */
  readonly maxMs: number;
  /** Growth per attempt. Default 2. */
  readonly factor?: number;
  /** Default `'none'`. */
  readonly jitter?: Jitter;
}

/**
 * The delay in ms before retry number `attempt` (0-based: 0 is the first retry). The one backoff
 * of Metro: handler retries, reconnects, the outbox relay and LISTEN all take their delays here.
 *
 * @example
 * ```ts
 * backoffDelay(3, { initialMs: 100, maxMs: 5000 });                   // 800
 * backoffDelay(3, { initialMs: 100, maxMs: 5000, jitter: 'equal' });  // 400..800
 * backoffDelay(9, { initialMs: 100, maxMs: 5000, jitter: 'full' });   // 50..5000
 * ```
 */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  const exponent = Math.max(0, attempt);
  // Past 2^64 the cap has long won; a huge exponent would only make Infinity and NaN.
  const raw = Math.min(backoff.maxMs, backoff.initialMs * (backoff.factor ?? 2) ** Math.min(exponent, 64));
  switch (backoff.jitter ?? 'none') {
    case 'none':
      return raw;
    case 'equal':
      return Math.round(raw / 2 + Math.random() * (raw / 2));
    case 'full': {
      const floor = Math.min(raw, backoff.initialMs / 2);
      return Math.round(floor + Math.random() * (raw - floor));
    }
  }
}
