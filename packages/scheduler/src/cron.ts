import { CronExpressionParser } from 'cron-parser';
import { InvalidCronError } from './errors.js';

/**
 * Checks a cron expression and time zone; throws {@link InvalidCronError} when either is unusable.
 * Accepts 5 fields (minute first) or 6 (seconds first), and the `@daily`-style shorthands.
 *
 * @example
 * ```ts
 * assertValidCron('0 9 * * 1-5', 'Europe/Paris');
 * ```
 */
export function assertValidCron(expression: string, timezone?: string): void {
  nextCronTime(expression, timezone, new Date());
}

/**
 * The first tick of `expression` strictly after `after`, in `timezone` (default UTC). Wall-clock
 * times that a DST change skips fire once at the shifted instant; repeated ones fire once.
 *
 * @example
 * ```ts
 * nextCronTime('30 2 * * *', 'America/New_York', new Date('2024-03-09T12:00:00Z')); // 2024-03-10T07:30:00Z (03:30 EDT)
 * ```
 */
export function nextCronTime(expression: string, timezone: string | undefined, after: Date): Date {
  if (typeof expression !== 'string' || expression.trim() === '') throw new InvalidCronError(String(expression), 'the expression is empty', { timezone });
  if (timezone !== undefined) assertTimeZone(expression, timezone);
  let next: Date;
  try {
    const parsed = CronExpressionParser.parse(expression.trim(), { currentDate: after, tz: timezone ?? 'UTC', strict: false });
    next = parsed.next().toDate();
  } catch (err) {
    throw new InvalidCronError(expression, err instanceof Error ? err.message : String(err), { timezone, cause: err });
  }
  if (Number.isNaN(next.getTime())) throw new InvalidCronError(expression, 'it has no next occurrence', { timezone });
  return next;
}

function assertTimeZone(expression: string, timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch (err) {
    throw new InvalidCronError(expression, `unknown time zone "${timezone}"`, { timezone, cause: err });
  }
}
