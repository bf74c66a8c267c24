import { validate, type SchemaOutput, type StandardSchemaV1 } from '@metro/core';

/** True for a promise or any other thenable (what `await` would wait for). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Validates like core's `validate`, but returns the output synchronously when the schema is
 * synchronous and the value is valid (the hot path of every call: no promise, no extra tick).
 * Anything else (an async schema, issues) goes through `validate`, which builds the
 * `ValidationError`.
 *
 * @example
 * ```ts
 * const input = validateNow(procedure.input, raw, 'Input of procedure "x"');
 * const value = isThenable(input) ? await input : input;
 * ```
 */
export function validateNow<S extends StandardSchemaV1>(schema: S, value: unknown, what: string): SchemaOutput<S> | Promise<SchemaOutput<S>> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    return result.then((settled) => (settled.issues ? validate(schema, value, what) : (settled.value as SchemaOutput<S>)));
  }
  if (result.issues) return validate(schema, value, what);
  return result.value as SchemaOutput<S>;
}
