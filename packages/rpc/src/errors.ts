import { MetroError, RequestTimeoutError } from '@metro/core';

/**
 * Every code `@metro/rpc` raises, with what it means: the closed set behind {@link RpcErrorCode}.
 * Each rpc error class passes one of these keys to `MetroError`, except {@link RemoteError},
 * which carries the code the remote handler threw (one of these, a core code such as
 * `VALIDATION_FAILED`, or the application's own).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof MetroError && err.code in RPC_ERROR_CODES) log.warn(RPC_ERROR_CODES[err.code as RpcErrorCode]); }
 * ```
 */
export const RPC_ERROR_CODES = {
  RPC_TIMEOUT: 'A call got no reply within its timeout.',
  NO_RESPONDER: 'Nothing serves the procedure: the broker had no rpc.<name> queue to route the request to.',
  RPC_PROTOCOL: 'A request or reply on the wire was not in the RPC shape (a different or broken peer).',
  OUTPUT_NOT_SERIALIZABLE: 'A handler returned a value JSON cannot encode; the caller gets it as a RemoteError.',
  HANDLER_FAILED: 'A handler threw an error without a code; the caller gets it as a RemoteError.',
  HTTP_STATUS: 'A REST peer answered with a non-2xx status.',
  HTTP_LOGIN_FAILED: "Logging in at the REST client's loginUrl failed, or its answer held no token.",
  HTTP_TIMEOUT: 'A REST peer did not answer within the timeout.',
  HTTP_NETWORK: 'A REST request got no HTTP answer (connection refused or reset, DNS failure).',
} as const;

/** A code `@metro/rpc` raises: a key of {@link RPC_ERROR_CODES}. */
export type RpcErrorCode = keyof typeof RPC_ERROR_CODES;

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
export class RpcTimeoutError extends RequestTimeoutError<'RPC_TIMEOUT'> {
  readonly procedure: string;
  /** `queue`: where the request went (default `rpc.<procedure>`; a bgtasks procedure's is its name). */
  constructor(procedure: string, timeoutMs: number, queue = `rpc.${procedure}`) {
    super(`procedure "${procedure}" (queue ${queue})`, timeoutMs, 'RPC_TIMEOUT');
    this.procedure = procedure;
  }
}

/**
 * The remote handler failed. `code`, `message` and `details` are the ones the server's handler
 * threw (a `MetroError`'s code, or `HANDLER_FAILED` for a plain Error): the one rpc error whose
 * code is not from {@link RPC_ERROR_CODES} alone.
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
export class NoResponderError extends MetroError<'NO_RESPONDER'> {
  readonly procedure: string;
  /** `options.queue`: where the request went (default `rpc.<procedure>`; a bgtasks procedure's is its name). */
  constructor(procedure: string, options?: { cause?: unknown; queue?: string }) {
    super(
      'NO_RESPONDER',
      `Nothing serves procedure "${procedure}" (queue ${options?.queue ?? `rpc.${procedure}`} does not exist). Start the service that serves it, or check the procedure name.`,
      { details: { procedure }, ...(options?.cause !== undefined ? { cause: options.cause } : {}) },
    );
    this.procedure = procedure;
  }
}

/** A reply (or request) on the wire was not in the RPC shape: a different or broken peer. */
export class RpcProtocolError extends MetroError<'RPC_PROTOCOL'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RPC_PROTOCOL', `${message} Make sure both sides use @metro/rpc (same major version).`, options);
  }
}

/**
 * A handler returned a value JSON cannot encode (a BigInt, a cycle). The server sends it as the
 * `fail` reply, so the caller gets a {@link RemoteError} with code `OUTPUT_NOT_SERIALIZABLE`.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof RemoteError && err.code === 'OUTPUT_NOT_SERIALIZABLE') console.error("the handler's result is not JSON"); }
 * ```
 */
export class OutputNotSerializableError extends MetroError<'OUTPUT_NOT_SERIALIZABLE'> {
  constructor(cause: unknown) {
    super('OUTPUT_NOT_SERIALIZABLE', `The handler returned a value JSON cannot encode: ${(cause as Error).message}`, { cause });
  }
}
