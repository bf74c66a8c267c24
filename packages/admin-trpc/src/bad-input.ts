import { MetroError } from '@metro/core';

/** Metro error codes that mean "the caller's input was wrong", not "the server broke". */
const INPUT_CODES = new Set(['VALIDATION_FAILED', 'SCHEDULER_INVALID_SCHEDULE', 'SCHEDULER_INVALID_TAGS', 'SCHEDULER_INVALID_CRON', 'FAILURE_NOT_EDITABLE']);

/**
 * The message to answer 400 with when `cause` is a refusal of the caller's input, else `undefined`:
 * a Metro input error (an invalid cursor or schedule), a `RangeError` of an invalid date, or a
 * PostgreSQL data exception (SQLSTATE class 22: a NUL character, a date out of range, bad text).
 *
 * @example
 * ```ts
 * badInputMessage(Object.assign(new Error('invalid byte sequence'), { code: '22021' })); // 'The database refused a value of the input ...'
 * ```
 */
export function badInputMessage(cause: unknown): string | undefined {
  if (cause instanceof MetroError && INPUT_CODES.has(cause.code)) return cause.message;
  if (cause instanceof RangeError && /date|time/i.test(cause.message)) return `Invalid date in the input: ${cause.message}`;
  const sqlState = (cause as { code?: unknown } | null)?.code;
  if (typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    return `The database refused a value of the input (SQLSTATE ${sqlState}: ${(cause as Error).message}). Check ids, dates and text for invalid characters.`;
  }
  return undefined;
}
