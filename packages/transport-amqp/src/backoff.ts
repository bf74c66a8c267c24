import type { ReconnectOptions } from './options.js';

/**
 * Exponential backoff with full jitter: attempt n waits a random time up to
 * `min(maxDelayMs, initialDelayMs * factor^n)`, never less than `initialDelayMs / 2`.
 */
export function backoffDelay(attempt: number, options: Required<ReconnectOptions>): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** attempt);
  const floor = Math.min(ceiling, options.initialDelayMs / 2);
  return Math.round(floor + Math.random() * (ceiling - floor));
}
