import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Principal } from './roles.js';

/** The kind of procedure being called. */
export type ProcedureType = 'query' | 'mutation' | 'subscription';

/** The procedure a call is for: its path (`failed.retry`) and type. */
export interface ProcedureCall {
  readonly path: string;
  readonly type: ProcedureType;
}

/** What an {@link Authorizer} is given for each call. */
export interface AuthRequest {
  /** `'http'` for calls over HTTP, `'ws'` for calls and subscriptions over the WebSocket. */
  readonly transport: 'http' | 'ws';
  /**
   * The procedure being called. `null` when a WebSocket signs in (its first message, before any
   * call): each call on it is then authorized again with its procedure, and live subscriptions
   * are re-checked every second or so.
   */
  readonly procedure: ProcedureCall | null;
  /** The bearer token from `Authorization: Bearer <token>` (HTTP, or the WebSocket upgrade), or from the ws `connectionParams.token`. */
  readonly token: string | undefined;
  /** The raw request headers (HTTP request or WebSocket upgrade request). */
  readonly headers: IncomingHttpHeaders;
  /** The tRPC WebSocket `connectionParams` (strings only), or `null`. */
  readonly connectionParams: Readonly<Record<string, string>> | null;
  /** The client's address (the socket's peer, or what the server's `clientAddress` option says). */
  readonly remoteAddress: string | undefined;
}

/**
 * Decides who a caller is and what it may do. Return a {@link Principal} with roles to let the
 * call in (a role without the permission the procedure needs is refused with 403), or
 * `null`/`undefined` to refuse it (401). Called for every HTTP call, when a WebSocket signs in,
 * for every call on it, and again every second or so while a subscription runs: a token revoked
 * in your store ends the subscriptions that used it.
 *
 * @example
 * ```ts
 * const authorize: Authorizer = async ({ token }) => {
 *   const session = token ? await sessions.verify(token) : undefined;
 *   return session ? { id: session.user, roles: session.canWrite ? ['operator'] : ['viewer'] } : null;
 * };
 * ```
 */
export type Authorizer = (request: AuthRequest) => Principal | null | undefined | Promise<Principal | null | undefined>;

/** The {@link AuthRequest} of an HTTP request or a WebSocket (internal: the server builds it). */
export function authRequest(
  req: IncomingMessage,
  transport: 'http' | 'ws',
  credentials: { token: string | undefined; connectionParams: Record<string, string> | null; remoteAddress: string | undefined },
  procedure: ProcedureCall | null,
): AuthRequest {
  return { transport, procedure, headers: req.headers, ...credentials };
}

/** The token of an `Authorization: Bearer <token>` header, or `undefined`. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : undefined;
}
