import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createAdminRouter, createAdminServer, jwtAuth, type AdminRouter, type AdminServer } from '../src/index.js';
import { createAdminClient, createTestDb, newFailure, recordMany, waitFor } from './support.js';

const ISSUER = 'https://login.test.example/';
const AUDIENCE = 'metro-admin';
let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let server: AdminServer;
let jwksServer: Server;
let jwksUrl: string;
let jwksFetches = 0;
let signingKey: CryptoKey;
let otherKey: CryptoKey;
let ids: string[];

/** A token signed by the provider's key (or `key`), valid for `ttlSec`, with the given claims. */
async function token(
  claims: Record<string, unknown>,
  options: { ttlSec?: number; issuer?: string; audience?: string; key?: CryptoKey; sub?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject(options.sub ?? 'alice@example.com')
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSec ?? 300))
    .sign(options.key ?? signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  // The provider's JWKS, served by the test over real HTTP.
  jwksServer = createServer((req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const address = jwksServer.address() as { port: number };
  jwksUrl = `http://127.0.0.1:${address.port}/.well-known/jwks.json`;
  env = await createTestDb('admin_jwt');
  ids = await recordMany(
    env.db,
    env.schema,
    Array.from({ length: 3 }, () => newFailure()),
  );
  admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: jwtAuth({
      jwksUrl,
      issuer: ISSUER,
      audience: AUDIENCE,
      rolesClaim: 'realm_access.roles',
      roleMap: { 'metro-viewer': 'viewer', 'metro-operator': 'operator' },
      clockToleranceSec: 0,
    }),
    statsIntervalMs: 200,
  });
  server = await createAdminServer({ router: admin, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await admin?.close();
  await env?.drop();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

const status = async (jwt: string) => (await fetch(`${server.url}/trpc/failed.list`, { headers: { authorization: `Bearer ${jwt}` } })).status;

describe('jwtAuth against a JWKS', () => {
  it('signs in with a valid token and takes its roles from the claim (mapped)', async () => {
    const operator = createAdminClient({ url: server.url, token: await token({ realm_access: { roles: ['metro-operator', 'offline_access'] } }) });
    expect(await operator.session.whoami.query()).toMatchObject({ principal: 'alice@example.com', roles: ['operator'] });
    expect((await operator.session.whoami.query()).expiresAt).not.toBeNull();
    expect(await operator.failed.retry.mutate({ id: ids[0]! })).toEqual({ retried: true, status: 'retried' });
    await operator.close();
    const viewer = createAdminClient({ url: server.url, token: await token({ realm_access: { roles: ['metro-viewer'] } }, { sub: 'grafana' }) });
    await expect(viewer.failed.retry.mutate({ id: ids[1]! })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await viewer.close();
    expect(jwksFetches).toBeGreaterThanOrEqual(1);
  });

  it('refuses an expired token, another issuer or audience, another key, no known role, and an unsigned one (401)', async () => {
    const roles = { realm_access: { roles: ['metro-operator'] } };
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...roles, sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: 9e9 })).toString('base64url')}.`;
    const refused = [
      await token(roles, { ttlSec: -10 }),
      await token(roles, { issuer: 'https://evil.example/' }),
      await token(roles, { audience: 'another-app' }),
      await token(roles, { key: otherKey }),
      await token({ realm_access: { roles: ['admin-of-something-else'] } }),
      await token({ roles: ['operator'] }),
      unsigned,
    ];
    const statuses = [];
    for (const jwt of refused) statuses.push(await status(jwt));
    expect(statuses).toEqual(Array(refused.length).fill(401));
    expect(await status(await token(roles))).toBe(200);
  });

  it('ends a WebSocket subscription within 2 s of the token’s expiry', async () => {
    const ttlSec = 3;
    const jwt = await token({ realm_access: { roles: ['metro-viewer'] } }, { ttlSec });
    const expiresAt = (Math.floor(Date.now() / 1000) + ttlSec) * 1000;
    const client = createAdminClient({ url: server.url, token: jwt });
    let endedAt = 0;
    let code: string | undefined;
    let pushes = 0;
    client.live.onStats.subscribe(undefined, {
      onData: () => void pushes++,
      onError: (e) => {
        endedAt = Date.now();
        code = (e.data as { code?: string } | undefined)?.code;
      },
    });
    await waitFor(() => endedAt > 0, 10_000, 'the subscription ended');
    expect(code).toBe('UNAUTHORIZED');
    expect(pushes).toBeGreaterThan(3);
    expect(endedAt - expiresAt).toBeLessThan(2_000);
    expect(endedAt).toBeGreaterThanOrEqual(expiresAt - 1_000);
    await client.close();
  }, 20_000);
});
