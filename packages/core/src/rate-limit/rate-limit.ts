import { toMilliseconds, type Duration } from '../duration.js';
import { ConfigurationError } from '../errors.js';

/**
 * A consumer rate limit: at most `messages` per `per`, as a token bucket of `burst` tokens that
 * refills evenly (one token every `per / messages`). The bucket starts full, so a limiter that
 * was idle lets `burst` messages through back to back, then one per interval: over a stretch of
 * `t` with messages always waiting, `burst + t * messages / per` are admitted.
 *
 * The limit is per process: three processes consuming the same queue admit up to three times
 * `messages` per `per` between them.
 *
 * @example
 * ```ts
 * metro.on(OrderPlaced, syncToCrm, { rateLimit: { messages: 20, per: '1s' } }); // 20 msg/s, burst 2
 * metro.subscription('emails', { rateLimit: { messages: 600, per: '1m', burst: 1 } }); // 10 msg/s, evenly
 * ```
 */
export interface RateLimit {
  /** Messages admitted per `per` (a positive number; fractions are fine: `0.5` per `'1s'` is one every 2 s). */
  readonly messages: number;
  /** The period `messages` refer to. Default `'1s'`. */
  readonly per?: Duration;
  /** Messages an idle limiter admits at once (the bucket's size, at least 1). Default a tenth of `messages`, rounded up. */
  readonly burst?: number;
}

/** Counters of one rate limiter, in `metro.stats().rateLimits`. */
export interface RateLimitStats {
  /** Messages that took a token (ran at once, waited, or were deferred to their slot). */
  readonly admitted: number;
  /** Deliveries waiting in process for their slot now. */
  readonly waiting: number;
  /** Copies published to the queue with a delay, to run at their reserved slot (per-handler limits only). */
  readonly deferred: number;
}

/** A {@link RateLimit} with its defaults applied: the interval between two tokens and the bucket's size. */
export interface ResolvedRateLimit {
  /** Milliseconds between two tokens (`per / messages`). */
  readonly intervalMs: number;
  /** Tokens the bucket holds. */
  readonly burst: number;
}

/**
 * Validates a {@link RateLimit} and applies its defaults; throws a `ConfigurationError` that says
 * what to pass instead.
 *
 * @example
 * ```ts
 * resolveRateLimit({ messages: 50 }, 'handler "crm"'); // { intervalMs: 20, burst: 5 }
 * ```
 */
export function resolveRateLimit(limit: RateLimit, owner: string): ResolvedRateLimit {
  const { messages } = limit;
  if (typeof messages !== 'number' || !Number.isFinite(messages) || messages <= 0) {
    throw new ConfigurationError(
      `The rateLimit of ${owner} has messages: ${String(messages)}; pass a positive number of messages per \`per\` (e.g. { messages: 100, per: '1s' }).`,
    );
  }
  const perMs = toMilliseconds(limit.per ?? '1s');
  if (perMs <= 0) throw new ConfigurationError(`The rateLimit of ${owner} has per: ${String(limit.per)}; pass a period longer than 0 (e.g. '1s').`);
  const burst = limit.burst ?? Math.max(1, Math.ceil(messages / 10));
  if (!Number.isInteger(burst) || burst < 1) {
    throw new ConfigurationError(`The rateLimit of ${owner} has burst: ${String(limit.burst)}; pass a whole number of messages, at least 1.`);
  }
  return { intervalMs: perMs / messages, burst };
}
