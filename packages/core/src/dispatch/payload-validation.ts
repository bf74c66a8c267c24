import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Envelope } from '../envelope.js';
import { ValidationError } from '../errors.js';
import type { HandlerEntry } from './handler-entry.js';

/** What {@link payloadFor} returns when the payload does not match the handler's schema. */
export const INVALID: unique symbol = Symbol('invalid payload');

/** The last schema checked for one message, so consecutive handlers with one schema validate once. */
export interface ValidationCache {
  lastSchema: StandardSchemaV1 | undefined;
  /** The payload the last schema produced: the value, {@link INVALID}, or a promise of either. */
  lastPayload: unknown;
  lastIssues: ReadonlyArray<StandardSchemaV1.Issue> | undefined;
}

/**
 * The payload one handler gets: the envelope's data, parsed by the handler's schema when it has
 * one. Synchronous when the schema is; a promise (of the payload or {@link INVALID}) otherwise.
 *
 * @example
 * ```ts
 * let payload = payloadFor(entry, envelope, cache);
 * if (payload instanceof Promise) payload = await payload;
 * if (payload === INVALID) throw validationError(envelope, entry, cache.lastIssues ?? []);
 * ```
 */
export function payloadFor(entry: HandlerEntry, envelope: Envelope, cache: ValidationCache): unknown {
  const schema = entry.schema;
  if (schema === undefined) return envelope.data;
  if (schema !== cache.lastSchema) {
    cache.lastSchema = schema;
    const result = schema['~standard'].validate(envelope.data);
    cache.lastPayload = result instanceof Promise ? result.then((settled) => remember(cache, schema, settled)) : remember(cache, schema, result);
  }
  return cache.lastPayload;
}

function remember(cache: ValidationCache, schema: StandardSchemaV1, result: StandardSchemaV1.Result<unknown>): unknown {
  const payload = result.issues ? INVALID : result.value;
  if (cache.lastSchema === schema) {
    cache.lastIssues = result.issues;
    cache.lastPayload = payload;
  }
  return payload;
}

/** The error recorded when a payload does not match a handler's schema. */
export function validationError(envelope: Envelope, entry: HandlerEntry, issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationError {
  return new ValidationError(
    `Payload of "${envelope.type}" for handler "${entry.name}"`,
    issues.map((issue) => ({ message: issue.message, path: issue.path?.map((p) => (typeof p === 'object' && p !== null ? p.key : p)) })),
  );
}
