import type { Logger } from '@metro/core';
import type { ProcedureContext } from './rpc-server.js';

/**
 * The context a procedure handler gets. A class, not an object literal: `deadline` and `signal`
 * are built only when a handler reads them (most never do), and a request allocates one object.
 */
export class RequestContext implements ProcedureContext {
  readonly #deadline: number;
  #signal: AbortSignal | undefined;

  constructor(
    readonly procedure: string,
    readonly requestId: string,
    readonly correlationId: string,
    readonly caller: string,
    deadline: number,
    readonly logger: Logger,
  ) {
    this.#deadline = deadline;
  }

  get deadline(): Date {
    return new Date(this.#deadline);
  }

  get signal(): AbortSignal {
    this.#signal ??= AbortSignal.timeout(Math.max(0, this.#deadline - Date.now()));
    return this.#signal;
  }
}
