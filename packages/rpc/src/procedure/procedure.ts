import { ConfigurationError, type SchemaInput, type SchemaOutput, type StandardSchemaV1 } from '@metro/core';

/**
 * A procedure: a named, typed request/response operation one service serves and others call.
 * It is served from the queue `rpc.<name>`; its input and output are checked with Standard Schemas.
 */
export interface ProcedureDefinition<I extends StandardSchemaV1 = StandardSchemaV1, O extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: 'procedure';
  /** e.g. `customers.getMany`. */
  readonly name: string;
  /** Schema of the input (checked by the caller before sending and by the server on receipt). */
  readonly input: I;
  /** Schema of the output (checked by the caller when the reply arrives). */
  readonly output: O;
  /** The queue the procedure is served from: `rpc.<name>`. */
  readonly queue: string;
}

/** Any procedure, for generic code. */
export type AnyProcedure = ProcedureDefinition<StandardSchemaV1, StandardSchemaV1>;
/** What a caller passes to a procedure (the input schema's input type). */
export type ProcedureInput<P extends AnyProcedure> = SchemaInput<P['input']>;
/** What a server handler receives (the input schema's output type, after transforms and defaults). */
export type ProcedureParsedInput<P extends AnyProcedure> = SchemaOutput<P['input']>;
/** What a server handler returns (the output schema's input type). */
export type ProcedureResult<P extends AnyProcedure> = SchemaInput<P['output']>;
/** What a caller receives (the output schema's output type). */
export type ProcedureOutput<P extends AnyProcedure> = SchemaOutput<P['output']>;

const NAME = /^[A-Za-z0-9_-]+(?:[.:/][A-Za-z0-9_-]+)*$/;

/** The queue a procedure named `name` is served from. */
export function procedureQueue(name: string): string {
  return `rpc.${name}`;
}

/**
 * Declares a procedure. Share the definition between the serving and the calling service
 * (e.g. in a contracts package); types of input and output are inferred from the schemas.
 *
 * @example
 * ```ts
 * const GetCustomer = defineProcedure({
 *   name: 'customers.get',
 *   input: z.object({ id: z.string() }),
 *   output: z.object({ id: z.string(), name: z.string() }),
 * });
 * ```
 */
export function defineProcedure<I extends StandardSchemaV1, O extends StandardSchemaV1>(definition: {
  name: string;
  input: I;
  output: O;
}): ProcedureDefinition<I, O> {
  if (typeof definition.name !== 'string' || !NAME.test(definition.name)) {
    throw new ConfigurationError(
      `Invalid procedure name "${String(definition.name)}": use letters, digits, '-', '_' and '.', ':' or '/' as separators (e.g. "customers.get").`,
    );
  }
  for (const part of ['input', 'output'] as const) {
    const schema = definition[part] as unknown;
    if (schema === null || (typeof schema !== 'object' && typeof schema !== 'function') || !('~standard' in (schema as object))) {
      throw new ConfigurationError(`Procedure "${definition.name}": \`${part}\` must be a Standard Schema (zod, valibot, arktype...).`);
    }
  }
  return Object.freeze({
    kind: 'procedure',
    name: definition.name,
    input: definition.input,
    output: definition.output,
    queue: procedureQueue(definition.name),
  });
}
