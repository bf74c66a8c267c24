import { toMilliseconds, type Duration, type Envelope } from '@metro/core';
import { InvalidScheduleError } from './errors.js';

/** When a one-off schedule is due: exactly one of `at` and `delay`. */
export interface DueOptions {
  readonly at?: Date | undefined;
  readonly delay?: Duration | undefined;
}

/** The due time in epoch ms; throws `InvalidScheduleError` unless exactly one of `at` and `delay` is valid. */
export function dueTime(opts: DueOptions): number {
  if (opts === null || typeof opts !== 'object') throw new InvalidScheduleError('options are required: give `at` (a Date) or `delay` (a Duration)');
  const hasAt = opts.at !== undefined;
  const hasDelay = opts.delay !== undefined;
  if (hasAt === hasDelay) throw new InvalidScheduleError('give exactly one of `at` (a Date) and `delay` (a Duration)', { at: hasAt, delay: hasDelay });
  if (hasAt) return checkDate(opts.at);
  try {
    return Date.now() + toMilliseconds(opts.delay as Duration);
  } catch (err) {
    throw new InvalidScheduleError(`\`delay\` is not a valid duration (${(err as Error).message})`);
  }
}

/** `at` in epoch ms; throws `InvalidScheduleError` when it is not a valid Date. */
export function checkDate(at: unknown): number {
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new InvalidScheduleError('`at` must be a valid Date', { at: String(at) });
  }
  return at.getTime();
}

/** The envelope with `time` moved to `timeMs`, and a command's `expiresat` moved with it. */
export function withTime(envelope: Envelope, timeMs: number, expiresInMs: number | null): Envelope {
  const { expiresat: _old, ...rest } = envelope;
  return {
    ...rest,
    time: new Date(timeMs).toISOString(),
    ...(expiresInMs !== null ? { expiresat: new Date(timeMs + expiresInMs).toISOString() } : {}),
  } as Envelope;
}
