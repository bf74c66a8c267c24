import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { ConfigurationError } from '@metro/core';
import type { Authorizer } from './authorizer.js';
import { ADMIN_ROLES, type AdminRole, type Principal } from './roles.js';

/** Options of {@link jwtAuth}. */
export interface JwtAuthOptions {
  /** The provider's JWKS URL, e.g. `https://login.example.com/.well-known/jwks.json` (fetched and cached by `jose`). */
  readonly jwksUrl: string | URL;
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** The `aud` every token must carry (one of them). */
  readonly audience: string | ReadonlyArray<string>;
  /** The claim holding the roles: a dotted path (`realm_access.roles`), an array or a space-separated string. Default `'roles'`. */
  readonly rolesClaim?: string;
  /** Maps the provider's role names to Metro's (`{ 'metro-ops': 'operator' }`); names that map to nothing grant nothing. Default: the names as they are. */
  readonly roleMap?: Readonly<Record<string, AdminRole>>;
  /** The claim that names the principal. Default `'sub'`. */
  readonly principalClaim?: string;
  /** Accepted signing algorithms. Default `RS256, RS384, RS512, PS256, ES256, ES384, EdDSA` (never `none` or HMAC). */
  readonly algorithms?: ReadonlyArray<string>;
  /** Allowed clock skew for `exp`/`nbf`, in seconds. Default 5. */
  readonly clockToleranceSec?: number;
}

const DEFAULT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

function claimAt(payload: JWTPayload, path: string): unknown {
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function rolesOf(claim: unknown, roleMap: Readonly<Record<string, AdminRole>> | undefined): AdminRole[] {
  const names = Array.isArray(claim) ? claim.filter((n): n is string => typeof n === 'string') : typeof claim === 'string' ? claim.split(/\s+/) : [];
  const roles = new Set<AdminRole>();
  for (const name of names) {
    const mapped = roleMap ? (Object.prototype.hasOwnProperty.call(roleMap, name) ? roleMap[name] : undefined) : name;
    if (mapped !== undefined && (ADMIN_ROLES as ReadonlyArray<string>).includes(mapped)) roles.add(mapped as AdminRole);
  }
  return [...roles];
}

/**
 * An {@link Authorizer} for bearer JWTs from an OIDC provider: the signature is checked against
 * the provider's JWKS (fetched and cached by `jose`), then the issuer, the audience, the expiry
 * and `nbf`; the roles come from a claim. A token without a known role, expired, from another
 * issuer or for another audience is refused (401). The principal carries the token's expiry,
 * so live subscriptions end when it passes.
 *
 * @example
 * ```ts
 * const authorize = jwtAuth({
 *   jwksUrl: 'https://login.example.com/.well-known/jwks.json',
 *   issuer: 'https://login.example.com/',
 *   audience: 'metro-admin',
 *   rolesClaim: 'realm_access.roles',
 *   roleMap: { 'metro-viewer': 'viewer', 'metro-operator': 'operator', 'metro-admin': 'admin' },
 * });
 * ```
 */
export function jwtAuth(options: JwtAuthOptions): Authorizer {
  if (!options?.jwksUrl || !options.issuer || !options.audience) {
    throw new ConfigurationError(
      'jwtAuth needs jwksUrl, issuer and audience: the JWKS of your OIDC provider and the iss/aud its tokens carry for the admin API.',
    );
  }
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  const verifyOptions = {
    issuer: options.issuer,
    audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
    algorithms: [...(options.algorithms ?? DEFAULT_ALGORITHMS)],
    clockTolerance: options.clockToleranceSec ?? 5,
    requiredClaims: ['exp'],
  };
  const rolesClaim = options.rolesClaim ?? 'roles';
  const principalClaim = options.principalClaim ?? 'sub';
  return async (request): Promise<Principal | null> => {
    if (request.token === undefined || request.token.length === 0) return null;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(request.token, jwks, verifyOptions));
    } catch {
      return null;
    }
    const id = claimAt(payload, principalClaim);
    const roles = rolesOf(claimAt(payload, rolesClaim), options.roleMap);
    if (typeof id !== 'string' || id.length === 0 || roles.length === 0) return null;
    return { id, roles, ...(typeof payload.exp === 'number' ? { expiresAt: new Date(payload.exp * 1000) } : {}) };
  };
}
