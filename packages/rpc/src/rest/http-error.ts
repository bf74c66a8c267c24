import { MetroError } from '@metro/core';
import type { RpcErrorCode } from '../errors.js';

/** The codes of an {@link HttpError}: a status answer, or a failed login. */
type HttpStatusCode = Extract<RpcErrorCode, 'HTTP_STATUS' | 'HTTP_LOGIN_FAILED'>;

/**
 * The peer answered with a non-2xx status. `status`, `body` (parsed JSON or text) and the request
 * are kept so callers can branch on them.
 *
 * @example
 * ```ts
 * try { await client.get('/customers/42'); }
 * catch (err) { if (err instanceof HttpError && err.status === 404) return null; throw err; }
 * ```
 */
export class HttpError<TCode extends HttpStatusCode = HttpStatusCode> extends MetroError<TCode> {
  readonly status: number;
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
  constructor(method: string, url: string, status: number, body: unknown, code?: TCode) {
    super(code ?? ('HTTP_STATUS' as TCode), `${method} ${url} answered ${status}${hint(status)}`, { details: { method, url, status } });
    this.status = status;
    this.method = method;
    this.url = url;
    this.body = body;
  }
}

function hint(status: number): string {
  if (status === 401 || status === 403) return ': check the client credentials or token.';
  if (status === 404) return ': check the path and the baseUrl.';
  if (status >= 500) return ': the peer failed; retry later or check its logs.';
  return ': check the request against the peer API.';
}

/** Logging in (the `loginUrl` call) failed, or its answer held no token. */
export class HttpLoginError extends HttpError<'HTTP_LOGIN_FAILED'> {
  constructor(method: string, url: string, status: number, body: unknown, reason?: string) {
    super(method, url, status, body, 'HTTP_LOGIN_FAILED');
    if (reason !== undefined) this.message = `Login at ${url} failed: ${reason}`;
  }
}

/** The peer did not answer within the timeout. */
export class HttpTimeoutError extends MetroError<'HTTP_TIMEOUT'> {
  readonly method: string;
  readonly url: string;
  constructor(method: string, url: string, timeoutMs: number) {
    super('HTTP_TIMEOUT', `${method} ${url} got no answer within ${timeoutMs} ms. Raise \`timeout\` or check the peer.`, {
      details: { method, url, timeoutMs },
    });
    this.method = method;
    this.url = url;
  }
}

/** The request never got an HTTP answer: connection refused or reset, DNS failure. */
export class HttpNetworkError extends MetroError<'HTTP_NETWORK'> {
  readonly method: string;
  readonly url: string;
  constructor(method: string, url: string, cause: unknown) {
    const reason = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    super('HTTP_NETWORK', `${method} ${url} failed before any answer (${reason}). Check that the peer is up and the baseUrl is right.`, {
      cause,
      details: { method, url },
    });
    this.method = method;
    this.url = url;
  }
}
