import { backoffDelay } from './backoff.js';
import { toMilliseconds, type Duration } from './duration.js';
import { ConfigurationError } from './errors.js';

/** An error class a retry policy can name in `on`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * How a handler's failures are retried. Each retry is a delayed redelivery of the original
 * bytes through the transport (the consumer is never held by a sleep).
 *
 * Metro's default (createMetro `retry`): `{ attempts: 3, backoff: 'exponential', delay: '1s', maxDelay: '1m' }`.
 */
export interface RetryOptions {
  /** Total attempts including the first delivery. `1` means no retry. Default 3. */
  readonly attempts?: number;
  /** `fixed`: always `delay`; `exponential`: `delay * 2^(attempt-1)`, capped at `maxDelay`, then jittered (see `jitter`). Default `exponential`. */
  readonly backoff?: 'fixed' | 'exponential';
  /** Base delay. Default `'1s'`. */
  readonly delay?: Duration;
  /** Upper bound of one delay. Default `'1m'`. */
  readonly maxDelay?: Duration;
  /** Exponential only: randomise each delay between 50% and 100% of its value ("equal jitter"). Default true. */
  readonly jitter?: boolean;
  /** Only these error classes are retried; any other error fails at once. Default: every error. */
  readonly on?: ReadonlyArray<ErrorClass>;
}

/** A {@link RetryOptions} with every default applied and durations in ms. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly backoff: 'fixed' | 'exponential';
  readonly delayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: boolean;
  readonly on: ReadonlyArray<ErrorClass> | undefined;
}

/** Metro's default retry policy. */
export const DEFAULT_RETRY: RetryOptions = Object.freeze({ attempts: 3, backoff: 'exponential', delay: '1s', maxDelay: '1m' });

/**
 * Applies defaults (`base`, then Metro's) to retry options and checks them.
 *
 * @example
 * ```ts
 * const policy = resolveRetryPolicy({ attempts: 5, delay: '200ms' });
 * retryDelay(policy, 2); // between 200 and 400 ms
 * ```
 */
export function resolveRetryPolicy(options: RetryOptions | undefined, base: RetryOptions = DEFAULT_RETRY): RetryPolicy {
  const merged = { ...DEFAULT_RETRY, ...base, ...(options ?? {}) };
  const attempts = merged.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new ConfigurationError(`Invalid retry attempts ${String(attempts)}: use an integer >= 1 (1 means no retry).`);
  }
  const backoff = merged.backoff ?? 'exponential';
  if (backoff !== 'fixed' && backoff !== 'exponential') {
    throw new ConfigurationError(`Invalid retry backoff "${String(backoff)}": use 'fixed' or 'exponential'.`);
  }
  const delayMs = toMilliseconds(merged.delay ?? '1s');
  const maxDelayMs = Math.max(delayMs, toMilliseconds(merged.maxDelay ?? '1m'));
  return { attempts, backoff, delayMs, maxDelayMs, jitter: merged.jitter ?? true, on: merged.on };
}

/**
 * True when `error` may be retried under `policy` after failing attempt number `attempt`.
 *
 * @example
 * ```ts
 * shouldRetry(resolveRetryPolicy({ attempts: 3, on: [TransientError] }), new TransientError(), 1); // true
 * ```
 */
export function shouldRetry(policy: RetryPolicy, error: unknown, attempt: number): boolean {
  if (attempt >= policy.attempts) return false;
  if (policy.on === undefined) return true;
  for (const cls of policy.on) if (error instanceof cls) return true;
  return false;
}

/**
 * The delay in ms before attempt `attempt + 1`, after attempt `attempt` (1-based) failed.
 *
 * @example
 * ```ts
 * retryDelay(resolveRetryPolicy({ backoff: 'fixed', delay: '2s' }), 1); // 2000
 * ```
 */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  if (policy.backoff === 'fixed') return policy.delayMs;
  return backoffDelay(attempt - 1, { initialMs: policy.delayMs, maxMs: policy.maxDelayMs, jitter: policy.jitter ? 'equal' : 'none' });
}
