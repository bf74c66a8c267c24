import { z } from 'zod';
import { FAILURE_REASONS, FAILURE_STATUSES, type FailureQuery } from '@metro/core';

const NO_NUL = { message: 'NUL characters (\\u0000) are not allowed' };

/** A string of at most `max` characters without NUL characters (PostgreSQL refuses them). */
export function text(max: number) {
  return z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), NO_NUL);
}

const name = text(300).min(1);

/** The earliest and latest dates PostgreSQL's timestamptz and every store accept here. */
const MIN_TIME = Date.UTC(1, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);

/** An ISO-8601 date between year 1 and 9999 (JavaScript accepts years down to -271821; PostgreSQL does not). */
export const isoDate = z
  .string()
  .max(40)
  .refine(
    (s) => {
      const time = Date.parse(s);
      return !Number.isNaN(time) && time >= MIN_TIME && time <= MAX_TIME;
    },
    { message: 'Expected an ISO-8601 date between years 1 and 9999, e.g. 2026-01-31T12:00:00Z' },
  );

/** Filters of failed-message listings and bulk operations. Every field is optional and combined with AND. */
export const failureFilter = z.strictObject({
  type: name.optional(),
  topic: name.optional(),
  service: name.optional(),
  queue: name.optional(),
  reason: z.enum(FAILURE_REASONS).optional(),
  /** The recorded error's class (`error.name`), matched exactly, e.g. `TimeoutError`. */
  errorName: name.optional(),
  status: z.union([z.enum(FAILURE_STATUSES), z.array(z.enum(FAILURE_STATUSES)).min(1).max(4)]).optional(),
  /** Case-insensitive substring of the error, type or message id. */
  text: text(500).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
});
export type FailureFilterInput = z.infer<typeof failureFilter>;

export const paging = {
  cursor: text(500).optional(),
  limit: z.number().int().min(1).max(500).optional(),
};

export const failureId = text(100).min(1);
/** At most this many ids per bulk call, and at most this many records changed by one bulk call by filter (it says `more: true`: call again). */
export const MAX_BULK_IDS = 10_000;
export const failureIds = z.array(failureId).min(1).max(MAX_BULK_IDS);

/** An edited payload: any JSON value. */
export const jsonPayload = z
  .unknown()
  .refine((v) => v !== undefined, { message: 'payload is required' })
  .refine((v) => !hasNul(v), NO_NUL);

/** Whether a JSON value holds a NUL character in a string or a key (PostgreSQL's jsonb refuses them). */
function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.some((item) => hasNul(item, depth + 1));
  return Object.entries(value).some(([key, item]) => key.includes('\u0000') || hasNul(item, depth + 1));
}

export const tagValue = z.union([text(500), z.number(), z.boolean()]);
export const tags = z.record(text(100).min(1), tagValue);

/** The wire filter holds exactly the filter fields of core's `FailureQuery` (paging aside): a field added there must be added here. */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : never;
const filterMatchesFailureQuery: SameKeys<FailureFilterInput, Omit<FailureQuery, 'cursor' | 'limit'>> = true;
void filterMatchesFailureQuery;

/** Converts the wire filter to the store's query: dates parsed, a blank text dropped, every other field as it is. */
export function toFailureQuery(filter: FailureFilterInput | undefined): FailureQuery {
  if (filter === undefined) return {};
  const { text, from, to, ...fields } = filter;
  return {
    ...fields,
    ...(text !== undefined && text.trim() !== '' ? { text: text.trim() } : {}),
    ...(from !== undefined ? { from: new Date(from) } : {}),
    ...(to !== undefined ? { to: new Date(to) } : {}),
  };
}
