import { InvalidIdentifierError } from './errors.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** Checks that `value` is a plain lower-case SQL identifier (so it is safe in DDL and channel names). */
export function checkIdentifier(what: string, value: string): string {
  if (!IDENTIFIER.test(value)) throw new InvalidIdentifierError(what, value);
  return value;
}

/** The schema Metro's tables live in by default. */
export const DEFAULT_SCHEMA = 'metro';

/** Resolves and checks a schema option. */
export function schemaName(schema: string | undefined): string {
  return checkIdentifier('schema', schema ?? DEFAULT_SCHEMA);
}

/**
 * The LISTEN/NOTIFY channel the outbox trigger notifies on, for a schema.
 *
 * @example
 * ```ts
 * await listen.listen(outboxChannel('metro'), () => wake()); // channel "metro_outbox_metro"
 * ```
 */
export function outboxChannel(schema: string): string {
  return `metro_outbox_${schema}`;
}
