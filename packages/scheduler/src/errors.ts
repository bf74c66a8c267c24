import { MetroError } from '@metro/core';

/**
 * Every code `@metro/scheduler` raises, with what it means: the closed set behind
 * {@link SchedulerErrorCode}. Each error class of this package passes one of these keys to
 * `MetroError` (core's own codes are in core's `CORE_ERROR_CODES`).
 *
 * @example
 * ```ts
 * if (err instanceof MetroError && err.code in SCHEDULER_ERROR_CODES) console.log(SCHEDULER_ERROR_CODES[err.code as SchedulerErrorCode]);
 * ```
 */
export const SCHEDULER_ERROR_CODES = {
  SCHEDULER_INVALID_TAGS: 'Schedule tags are not a plain object of strings, finite numbers or booleans.',
  SCHEDULER_INVALID_CRON: 'A cron expression or time zone given to every() could not be parsed.',
  SCHEDULER_INVALID_SCHEDULE: 'The timing options of schedule() or reschedule() are unusable (neither or both of at and delay, a bad Date or id).',
} as const;

/** A code `@metro/scheduler` raises: a key of {@link SCHEDULER_ERROR_CODES}. */
export type SchedulerErrorCode = keyof typeof SCHEDULER_ERROR_CODES;

/**
 * Tags passed to `schedule()` or `cancel()` are not a plain object of string, number or boolean
 * values. Nothing was written.
 *
 * @example
 * ```ts
 * try { await scheduler.schedule(undefined, Reminder, payload, { delay: '1h', tags: { user: { id: 1 } } as never }); }
 * catch (err) { if (err instanceof InvalidTagsError) console.log(err.details); }
 * ```
 */
export class InvalidTagsError extends MetroError<'SCHEDULER_INVALID_TAGS'> {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super(
      'SCHEDULER_INVALID_TAGS' satisfies SchedulerErrorCode,
      `Invalid schedule tags: ${reason}. Tags must be a plain object whose values are strings, finite numbers or booleans (they are stored and compared as strings).`,
      { details },
    );
  }
}

/**
 * A cron expression or time zone given to `every()` could not be parsed. Nothing was written.
 *
 * @example
 * ```ts
 * await scheduler.every('nightly', '61 * * * *', Report, {}); // throws InvalidCronError
 * ```
 */
export class InvalidCronError extends MetroError<'SCHEDULER_INVALID_CRON'> {
  constructor(expression: string, reason: string, options: { timezone?: string | undefined; cause?: unknown } = {}) {
    super(
      'SCHEDULER_INVALID_CRON' satisfies SchedulerErrorCode,
      `Invalid cron expression "${expression}"${options.timezone ? ` in time zone "${options.timezone}"` : ''}: ${reason}. Use 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. '0 9 * * 1-5', and an IANA time zone such as 'Europe/Paris'.`,
      { cause: options.cause, details: { expression, timezone: options.timezone } },
    );
  }
}

/**
 * The timing options of `schedule()` / `reschedule()` are unusable: neither or both of `at` and
 * `delay`, an invalid `Date`, or a bad id. Nothing was written.
 *
 * @example
 * ```ts
 * await scheduler.schedule(undefined, Reminder, payload, {}); // throws InvalidScheduleError: give `at` or `delay`
 * ```
 */
export class InvalidScheduleError extends MetroError<'SCHEDULER_INVALID_SCHEDULE'> {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super('SCHEDULER_INVALID_SCHEDULE' satisfies SchedulerErrorCode, `Invalid schedule: ${reason}.`, { details });
  }
}
