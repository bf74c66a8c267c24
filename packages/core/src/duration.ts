import { ConfigurationError } from './errors.js';

/** A duration: milliseconds as a number, or a string such as `'250ms'`, `'30s'`, `'5m'`, `'2h'`, `'1d'`. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Converts a {@link Duration} to milliseconds.
 *
 * @example
 * ```ts
 * toMilliseconds('30s'); // 30000
 * toMilliseconds(250);   // 250
 * ```
 */
export function toMilliseconds(duration: Duration): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) throw new ConfigurationError(`Invalid duration ${duration}: use a non-negative number of milliseconds.`);
    return duration;
  }
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new ConfigurationError(`Invalid duration "${duration}": use a number of ms or a string like '250ms', '30s', '5m', '2h', '1d'.`);
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!]!);
}
