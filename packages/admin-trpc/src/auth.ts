import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** Who made a call: the name your `authorize` returns, written to the mutation log. */
export interface Principal {
  /** A stable, loggable name for the caller (`'ops-alice'`, `'token#1'`). Never the secret. */
  readonly id: string;
}

/** What an {@link Authorizer} is given for each HTTP request and each WebSocket connection. */
export interface AuthRequest {
  /** `'http'` for queries and mutations, `'ws'` for the subscription socket. */
  readonly transport: 'http' | 'ws';
  /** The bearer token from `Authorization: Bearer <token>` (HTTP, or the WebSocket upgrade), or from the ws `connectionParams.token`. */
  readonly token: string | undefined;
  /** The raw request headers (HTTP request or WebSocket upgrade request). */
  readonly headers: IncomingHttpHeaders;
  /** The tRPC WebSocket `connectionParams` (strings only), or `null`. */
  readonly connectionParams: Readonly<Record<string, string>> | null;
  readonly remoteAddress: string | undefined;
}

/**
 * Decides who a caller is. Return a {@link Principal} to let the call in, `null`/`undefined` to
 * refuse it (401). Called for every HTTP request and once per WebSocket connection.
 *
 * @example
 * ```ts
 * const authorize: Authorizer = async (req) => (await sessions.verify(req.token)) ? { id: 'alice' } : null;
 * ```
 */
export type Authorizer = (request: AuthRequest) => Principal | null | undefined | Promise<Principal | null | undefined>;

/** The {@link AuthRequest} of an HTTP request or a WebSocket upgrade (internal: the server builds it). */
export function authRequest(
  req: IncomingMessage,
  transport: 'http' | 'ws',
  token: string | undefined,
  connectionParams: Record<string, string> | null,
): AuthRequest {
  return { transport, token, headers: req.headers, connectionParams, remoteAddress: req.socket.remoteAddress };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * A bearer-token {@link Authorizer}. Tokens are compared in constant time (SHA-256 digests of equal
 * length through `crypto.timingSafeEqual`, every token checked). Pass a list (principals are named
 * `token#1`, `token#2`, ...) or a record of principal name to token.
 *
 * @example
 * ```ts
 * createAdminRouter({ db, authorize: tokenAuth({ alice: process.env.ALICE_TOKEN!, ci: process.env.CI_TOKEN! }) });
 * ```
 */
export function tokenAuth(tokens: ReadonlyArray<string> | Readonly<Record<string, string>>): Authorizer {
  const entries: Array<[string, string]> = Array.isArray(tokens)
    ? (tokens as ReadonlyArray<string>).map((t, i) => [`token#${i + 1}`, t])
    : Object.entries(tokens as Readonly<Record<string, string>>);
  const usable = entries.filter(([, t]) => typeof t === 'string' && t.length > 0);
  if (usable.length === 0) {
    throw new TypeError('tokenAuth needs at least one non-empty token. Set METRO_ADMIN_TOKEN (or pass your tokens) before starting the admin API.');
  }
  const digests = usable.map(([id, t]) => ({ id, digest: digest(t) }));
  return (request) => {
    if (request.token === undefined || request.token.length === 0) return null;
    const given = digest(request.token);
    let match: string | null = null;
    for (const entry of digests) {
      // Digests are always 32 bytes, so timingSafeEqual never throws and timing does not depend on the token.
      if (timingSafeEqual(given, entry.digest) && match === null) match = entry.id;
    }
    return match === null ? null : { id: match };
  };
}

/** The token of an `Authorization: Bearer <token>` header, or `undefined`. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1] : undefined;
}
