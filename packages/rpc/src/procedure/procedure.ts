import { ConfigurationError, type SchemaInput, type SchemaOutput, type StandardSchemaV1 } from '@metro/core';
import { isRpcWireName, rpcWireFormat, type RpcWireName } from '../wire-formats.js';

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
  /** The queue the procedure is served from: `rpc.<name>` (bgtasks' wire: `<name>`). */
  readonly queue: string;
  /** The wire format of its requests and replies: `'metro'` (default) or `'bgtasks'` (Python services). */
  readonly wire: RpcWireName;
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
 * // A Python service's bgtasks route:
 * const GetImages = defineProcedure({ name: 'images.by_pks', input: z.object({ pks: z.array(z.number()) }), output: z.array(Image), wire: 'bgtasks' });
 * ```
 */
export function defineProcedure<I extends StandardSchemaV1, O extends StandardSchemaV1>(definition: {
  name: string;
  input: I;
  output: O;
  /**
   * `'bgtasks'` to serve or call a Python service's `rpc_tasks` route: the queue is the name
   * itself, the request is the input as plain JSON, the reply `{ status, data }`. Default `'metro'`.
   */
  wire?: RpcWireName;
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
  const wire = definition.wire ?? 'metro';
  if (!isRpcWireName(wire)) throw new ConfigurationError(`Procedure "${definition.name}": \`wire\` must be 'metro' or 'bgtasks', got "${String(wire)}".`);
  return Object.freeze({
    kind: 'procedure',
    name: definition.name,
    input: definition.input,
    output: definition.output,
    queue: rpcWireFormat(wire).queueOf(definition.name),
    wire,
  });
}
