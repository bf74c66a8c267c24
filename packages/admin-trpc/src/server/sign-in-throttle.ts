/** Options of the sign-in throttle (`createAdminServer({ signInThrottle })`). */
export interface SignInThrottleOptions {
  /** Refused sign-ins from one client address within `windowMs` before it is blocked. Default 10. */
  readonly maxFailures?: number;
  /** The window the failures are counted in. Default 60 s. */
  readonly windowMs?: number;
  /** How long a blocked address gets 429 (with `Retry-After`) without its token being checked. Default 60 s. */
  readonly blockMs?: number;
}

/** Most addresses remembered at once; the oldest are forgotten first. */
const MAX_ADDRESSES = 10_000;

interface Entry {
  failures: number[];
  blockedUntil: number;
}

/**
 * Counts refused sign-ins per client address and blocks an address that has too many: while
 * blocked, its requests are answered 429 before any token is checked.
 */
export class SignInThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #blockMs: number;

  constructor(options: SignInThrottleOptions = {}) {
    this.#max = options.maxFailures ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#blockMs = options.blockMs ?? 60_000;
  }

  /** Milliseconds until `address` may try again; 0 when it is not blocked. */
  retryAfterMs(address: string, now = Date.now()): number {
    const entry = this.#entries.get(address);
    return entry === undefined || entry.blockedUntil <= now ? 0 : entry.blockedUntil - now;
  }

  /** Counts a refused sign-in; `true` when it starts a block. */
  failed(address: string, now = Date.now()): boolean {
    let entry = this.#entries.get(address);
    if (entry === undefined) {
      if (this.#entries.size >= MAX_ADDRESSES) this.#entries.delete(this.#entries.keys().next().value!);
      entry = { failures: [], blockedUntil: 0 };
      this.#entries.set(address, entry);
    }
    entry.failures = entry.failures.filter((at) => at > now - this.#windowMs);
    entry.failures.push(now);
    if (entry.failures.length >= this.#max && entry.blockedUntil <= now) {
      entry.blockedUntil = now + this.#blockMs;
      entry.failures = [];
      return true;
    }
    return false;
  }

  /** A successful sign-in clears the address's count. */
  succeeded(address: string): void {
    const entry = this.#entries.get(address);
    if (entry !== undefined && entry.blockedUntil <= Date.now()) this.#entries.delete(address);
  }
}
