import { InvalidTagsError } from './errors.js';

/** A tag value as given by callers. Stored and compared as `String(value)`: `1` equals `'1'`, `true` equals `'true'`. */
export type TagValue = string | number | boolean;

/** Tags as given by callers: labels to find and cancel schedules by. */
export type Tags = Readonly<Record<string, TagValue>>;

/** Tags as stored: every value a string. */
export type StoredTags = Readonly<Record<string, string>>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_KEY_LENGTH = 200;

/**
 * Checks tags and turns every value into its string form, the form they are stored and compared in.
 * Throws {@link InvalidTagsError} for anything but a plain object of strings, finite numbers and booleans.
 *
 * @example
 * ```ts
 * normalizeTags({ orderId: 42, vip: true }); // { orderId: '42', vip: 'true' }
 * ```
 */
export function normalizeTags(tags: unknown): StoredTags {
  if (tags === undefined) return {};
  if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) {
    throw new InvalidTagsError(`expected a plain object, got ${describe(tags)}`);
  }
  const proto: unknown = Object.getPrototypeOf(tags);
  if (proto !== Object.prototype && proto !== null) {
    throw new InvalidTagsError(`expected a plain object, got an instance of ${(tags as object).constructor?.name ?? 'a class'}`);
  }
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const key of Object.keys(tags)) {
    if (key === '' || key.length > MAX_KEY_LENGTH) throw new InvalidTagsError(`tag names must have 1 to ${MAX_KEY_LENGTH} characters`, { key });
    if (FORBIDDEN_KEYS.has(key)) throw new InvalidTagsError(`tag name "${key}" is reserved`, { key });
    const value: unknown = (tags as Record<string, unknown>)[key];
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'boolean') out[key] = String(value);
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidTagsError(`tag "${key}" is ${String(value)}, not a finite number`, { key });
      out[key] = String(value);
    } else {
      throw new InvalidTagsError(`tag "${key}" is ${describe(value)}`, { key, valueType: describe(value) });
    }
  }
  return { ...out };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
