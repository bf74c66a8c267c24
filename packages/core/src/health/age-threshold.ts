import { toMilliseconds, type Duration } from '../duration.js';
import { ConfigurationError } from '../errors.js';
import type { HealthCheck, HealthStatus, HealthValue } from './health-report.js';

/** Two limits for an age or a delay: past `degraded` a check is degraded, past `unhealthy` unhealthy. */
export interface AgeThresholds {
  readonly degraded?: Duration | undefined;
  readonly unhealthy?: Duration | undefined;
}

/** {@link AgeThresholds} in milliseconds. */
export interface ResolvedAgeThresholds {
  readonly degradedMs: number;
  readonly unhealthyMs: number;
}

/**
 * Resolves thresholds over defaults, and refuses `degraded` above `unhealthy` (a `ConfigurationError`
 * naming `what`).
 *
 * @example
 * ```ts
 * resolveAgeThresholds('lag', { degraded: '10s' }, { degraded: '30s', unhealthy: '5m' }); // { degradedMs: 10000, unhealthyMs: 300000 }
 * ```
 */
export function resolveAgeThresholds(what: string, given: AgeThresholds | undefined, defaults: Required<AgeThresholds>): ResolvedAgeThresholds {
  const degradedMs = toMilliseconds(given?.degraded ?? defaults.degraded);
  const unhealthyMs = toMilliseconds(given?.unhealthy ?? defaults.unhealthy);
  if (degradedMs > unhealthyMs)
    throw new ConfigurationError(
      `Health thresholds of ${what}: degraded (${degradedMs} ms) must not be above unhealthy (${unhealthyMs} ms); lower degraded or raise unhealthy.`,
    );
  return { degradedMs, unhealthyMs };
}

/** What {@link ageCheck} words a check with. */
export interface AgeCheckText {
  /** What is measured, e.g. `'the oldest pending outbox row'`. */
  readonly subject: string;
  /** What to do when it is over a threshold. */
  readonly advice: string;
  /** What a `null` age means, e.g. `'no row is pending'`. */
  readonly none: string;
}

/**
 * A check of an age (lag, lateness) against {@link ResolvedAgeThresholds}: healthy under
 * `degradedMs`, degraded up to `unhealthyMs`, unhealthy past it; `null` (nothing waiting) is healthy.
 * Never a liveness check: an age grows during outages the process recovers from by itself.
 *
 * @example
 * ```ts
 * ageCheck(45_000, { degradedMs: 30_000, unhealthyMs: 300_000 }, { subject: 'the oldest pending row', advice: 'check the relay', none: 'none pending' });
 * // { status: 'degraded', message: 'the oldest pending row is 45.0 s old, over 30.0 s: check the relay', ... }
 * ```
 */
export function ageCheck(ageMs: number | null, thresholds: ResolvedAgeThresholds, text: AgeCheckText, observed: Record<string, HealthValue> = {}): HealthCheck {
  const { degradedMs, unhealthyMs } = thresholds;
  const status: HealthStatus = ageMs === null || ageMs < degradedMs ? 'healthy' : ageMs < unhealthyMs ? 'degraded' : 'unhealthy';
  const message =
    ageMs === null
      ? text.none
      : status === 'healthy'
        ? `${text.subject} is ${seconds(ageMs)} old, under ${seconds(degradedMs)}`
        : `${text.subject} is ${seconds(ageMs)} old, over ${seconds(status === 'degraded' ? degradedMs : unhealthyMs)}: ${text.advice}`;
  return { status, message, liveness: false, observed: { ageMs, ...observed }, thresholds: { degradedMs, unhealthyMs } };
}

/** `1234` -> `'1.2 s'`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
