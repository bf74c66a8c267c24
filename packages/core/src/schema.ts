import type { StandardSchemaV1 } from '@standard-schema/spec';
import { ValidationError } from './errors.js';

export type { StandardSchemaV1 };

/** What a publisher passes for a schema (zod/valibot input type). */
export type SchemaInput<S extends StandardSchemaV1> = StandardSchemaV1.InferInput<S>;
/** What a handler receives for a schema (zod/valibot output type, after transforms and defaults). */
export type SchemaOutput<S extends StandardSchemaV1> = StandardSchemaV1.InferOutput<S>;

/**
 * Validates `value` against any Standard Schema (zod, valibot, arktype, ...) and returns the
 * parsed output, or throws a {@link ValidationError} naming `what` failed.
 *
 * @example
 * ```ts
 * const order = await validate(z.object({ id: z.string() }), input, 'OrderPlaced payload');
 * ```
 */
export async function validate<S extends StandardSchemaV1>(schema: S, value: unknown, what: string): Promise<SchemaOutput<S>> {
  let result = schema['~standard'].validate(value);
  if (result instanceof Promise) result = await result;
  if (result.issues) {
    throw new ValidationError(
      what,
      result.issues.map((issue) => ({
        message: issue.message,
        path: issue.path?.map((p) => (typeof p === 'object' && p !== null ? p.key : p)),
      })),
    );
  }
  return result.value as SchemaOutput<S>;
}

/**
 * Validates like {@link validate}, but returns the output synchronously when the schema is
 * synchronous and the value is valid (the hot path of every publish and call: no promise, no
 * extra tick). Anything else (an async schema, issues) goes through `validate`, which awaits and
 * builds the `ValidationError`. `what` may be a function, called only when there is an error to name.
 *
 * @example
 * ```ts
 * const checked = validateNow(procedure.input, raw, 'Input of procedure "x"');
 * const input = isThenable(checked) ? await checked : checked;
 * ```
 */
export function validateNow<S extends StandardSchemaV1>(schema: S, value: unknown, what: string | (() => string)): SchemaOutput<S> | Promise<SchemaOutput<S>> {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    return result.then((settled) => (settled.issues ? validate(schema, value, nameOf(what)) : (settled.value as SchemaOutput<S>)));
  }
  if (result.issues) return validate(schema, value, nameOf(what));
  return result.value as SchemaOutput<S>;
}

function nameOf(what: string | (() => string)): string {
  return typeof what === 'string' ? what : what();
}
