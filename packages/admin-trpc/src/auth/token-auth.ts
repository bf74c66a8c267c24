import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigurationError } from '@metro/core';
import type { Authorizer } from './authorizer.js';
import { ADMIN_ROLES, type AdminRole } from './roles.js';

/** The shortest token {@link tokenAuth} accepts. */
export const MIN_TOKEN_LENGTH = 20;

/** One principal's token and roles, for {@link tokenAuth}. */
export interface TokenGrant {
  /** The secret: at least 20 characters (`openssl rand -hex 32` makes a good one). */
  readonly token: string;
  /** What its holder may do, e.g. `['viewer']` or `['operator']`. */
  readonly roles: ReadonlyArray<AdminRole>;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function checkGrant(name: string, grant: unknown): TokenGrant {
  const given = grant as Partial<TokenGrant> | string | undefined;
  if (typeof given === 'string' || given === undefined || given === null || typeof given.token !== 'string') {
    throw new ConfigurationError(
      `tokenAuth: "${name}" needs { token, roles }, e.g. tokenAuth({ ${name}: { token: process.env.METRO_ADMIN_TOKEN!, roles: ['operator'] } }). Plain strings were accepted before 0.2 and had every right.`,
    );
  }
  if (given.token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigurationError(
      `tokenAuth: the token of "${name}" has ${given.token.length} characters; use at least ${MIN_TOKEN_LENGTH} random ones (openssl rand -hex 32). Is METRO_ADMIN_TOKEN set?`,
    );
  }
  const roles = Array.isArray(given.roles) ? given.roles : [];
  const unknown = roles.filter((r) => !(ADMIN_ROLES as ReadonlyArray<string>).includes(r));
  if (roles.length === 0 || unknown.length > 0) {
    throw new ConfigurationError(`tokenAuth: "${name}" needs roles from ${ADMIN_ROLES.join(', ')}${unknown.length > 0 ? ` (got ${unknown.join(', ')})` : ''}.`);
  }
  return { token: given.token, roles: [...roles] };
}

/**
 * A bearer-token {@link Authorizer}: a record of principal name to `{ token, roles }`. Tokens must
 * have at least 20 characters (a shorter one is a `ConfigurationError` at start). They are
 * compared in constant time (SHA-256 digests of equal length through `crypto.timingSafeEqual`,
 * every token checked).
 *
 * @example
 * ```ts
 * createAdminRouter({
 *   db,
 *   authorize: tokenAuth({
 *     alice: { token: process.env.ALICE_TOKEN!, roles: ['operator'] },
 *     grafana: { token: process.env.GRAFANA_TOKEN!, roles: ['viewer'] },
 *   }),
 * });
 * ```
 */
export function tokenAuth(tokens: Readonly<Record<string, TokenGrant>>): Authorizer {
  if (tokens === null || typeof tokens !== 'object' || Array.isArray(tokens)) {
    throw new ConfigurationError(
      "tokenAuth takes a record of principal name to { token, roles }: tokenAuth({ ops: { token: process.env.METRO_ADMIN_TOKEN!, roles: ['operator'] } }).",
    );
  }
  const entries = Object.entries(tokens).map(([id, grant]) => ({ id, ...checkGrant(id, grant) }));
  if (entries.length === 0) {
    throw new ConfigurationError('tokenAuth needs at least one token. Set METRO_ADMIN_TOKEN (or pass your tokens) before starting the admin API.');
  }
  const digests = entries.map((e) => ({ id: e.id, roles: e.roles, digest: digest(e.token) }));
  return (request) => {
    if (request.token === undefined || request.token.length === 0) return null;
    const given = digest(request.token);
    let match: (typeof digests)[number] | null = null;
    for (const entry of digests) {
      // Digests are always 32 bytes, so timingSafeEqual never throws and timing does not depend on the token.
      if (timingSafeEqual(given, entry.digest) && match === null) match = entry;
    }
    return match === null ? null : { id: match.id, roles: match.roles };
  };
}
