import type { BusSettings } from './bus-settings.js';
import type { SubscriptionOptions } from './metro-types.js';

/** How much one queue's consumer takes on at once. */
export interface ConsumeLimits {
  /** Messages handled at once. */
  readonly concurrency: number;
  /** Unacked messages the broker may push ahead. */
  readonly prefetch: number;
}

/**
 * The consume limits of a queue: its subscription's options, else the bus's. A subscription that
 * sets only `concurrency` gets a prefetch of twice that.
 *
 * @example
 * ```ts
 * consumeLimitsOf({ concurrency: 4 }, settings); // { concurrency: 4, prefetch: 8 }
 * ```
 */
export function consumeLimitsOf(options: SubscriptionOptions, settings: BusSettings): ConsumeLimits {
  const concurrency = options.concurrency ?? settings.concurrency;
  return { concurrency, prefetch: options.prefetch ?? (options.concurrency !== undefined ? concurrency * 2 : settings.prefetch) };
}
