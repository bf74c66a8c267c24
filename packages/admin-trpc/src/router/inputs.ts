import { z } from 'zod';
import { FAILURE_REASONS, FAILURE_STATUSES, type FailureQuery } from '@metro/core';

const name = z.string().min(1).max(300);
const isoDate = z
  .string()
  .max(40)
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'Expected an ISO-8601 date, e.g. 2026-01-31T12:00:00Z' });

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
  text: z.string().max(500).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
});
export type FailureFilterInput = z.infer<typeof failureFilter>;

export const paging = {
  cursor: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(500).optional(),
};

export const failureId = z.string().min(1).max(100);
/** At most this many ids per bulk call; page through larger sets. */
export const MAX_BULK_IDS = 10_000;
export const failureIds = z.array(failureId).min(1).max(MAX_BULK_IDS);

/** An edited payload: any JSON value. */
export const jsonPayload = z.unknown().refine((v) => v !== undefined, { message: 'payload is required' });

export const tagValue = z.union([z.string().max(500), z.number(), z.boolean()]);
export const tags = z.record(z.string().min(1).max(100), tagValue);

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
