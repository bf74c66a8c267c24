import type { Logger } from '@metro/core';
import type { AnyProcedure, ProcedureParsedInput, ProcedureResult } from './procedure.js';

/** What a procedure handler gets besides its input. */
export interface ProcedureContext {
  /** The procedure's name. */
  readonly procedure: string;
  /** The request's message id (the causation id of anything the handler publishes). */
  readonly requestId: string;
  /** The correlation id the caller carried; also in `currentCorrelation()` inside the handler. */
  readonly correlationId: string;
  /** The calling service's name. */
  readonly caller: string;
  /** When the caller stops waiting. */
  readonly deadline: Date;
  /** Aborted when the deadline passes: pass it to fetch/queries so abandoned work stops. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** Serves one procedure: gets the parsed input, returns the output (or throws to send a `fail` reply). */
export type ProcedureHandler<P extends AnyProcedure> = (
  input: ProcedureParsedInput<P>,
  ctx: ProcedureContext,
) => ProcedureResult<P> | Promise<ProcedureResult<P>>;
