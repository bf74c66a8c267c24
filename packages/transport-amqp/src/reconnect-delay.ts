import { backoffDelay } from '@metro/core';
import type { ReconnectOptions } from './options.js';

/** The wait before reconnect attempt `attempt` (0-based): core's backoff with full jitter. */
export function reconnectDelay(attempt: number, options: Required<ReconnectOptions>): number {
  return backoffDelay(attempt, { initialMs: options.initialDelayMs, maxMs: options.maxDelayMs, factor: options.factor, jitter: 'full' });
}
