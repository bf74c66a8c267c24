import { MetroError, RequestTimeoutError } from '@metro/core';

/**
 * A call got no reply within its timeout. The server skips the request if it picks it up after
 * the deadline, and a reply arriving later is dropped.
 *
 * @example
 * ```ts
 * try { await rpc.call(GetCustomer, { id }, { timeout: '2s' }); }
 * catch (err) { if (err instanceof RpcTimeoutError) return fallback; throw err; }
 * ```
 */
export class RpcTimeoutError extends RequestTimeoutError {
  readonly procedure: string;
  constructor(procedure: string, timeoutMs: number) {
    super(`procedure "${procedure}" (queue rpc.${procedure})`, timeoutMs, 'RPC_TIMEOUT');
    this.procedure = procedure;
  }
}

/**
 * The remote handler failed. `code`, `message` and `details` are the ones the server's handler
 * threw (a `MetroError`'s code, or `HANDLER_FAILED` for a plain Error).
 *
 * @example
 * ```ts
 * try { await rpc.call(GetCustomer, { id }); }
 * catch (err) { if (err instanceof RemoteError && err.code === 'NOT_FOUND') return null; throw err; }
 * ```
 */
export class RemoteError extends MetroError {
  readonly procedure: string;
  constructor(procedure: string, code: string, message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? undefined : { details });
    this.procedure = procedure;
  }
}

/**
 * Nothing serves the procedure: the broker had no `rpc.<name>` queue to route the request to.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof NoResponderError) console.error('start the customers service'); }
 * ```
 */
export class NoResponderError extends MetroError {
  readonly procedure: string;
  constructor(procedure: string, options?: { cause?: unknown }) {
    super(
      'NO_RESPONDER',
      `Nothing serves procedure "${procedure}" (queue rpc.${procedure} does not exist). Start the service that calls rpc.serve() for it, or check the procedure name.`,
      { details: { procedure }, ...(options?.cause !== undefined ? { cause: options.cause } : {}) },
    );
    this.procedure = procedure;
  }
}

/** A reply (or request) on the wire was not in the RPC shape: a different or broken peer. */
export class RpcProtocolError extends MetroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RPC_PROTOCOL', `${message} Make sure both sides use @metro/rpc (same major version).`, options);
  }
}
