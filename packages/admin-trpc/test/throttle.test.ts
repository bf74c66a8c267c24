import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { createAdminRouter, createAdminServer, type AdminRouter, type AdminServer, type Authorizer } from '../src/index.js';
import { countRows, createTestDb, roleAuth, ROLE_TOKENS } from './support.js';

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let checked = 0;
const counting = roleAuth();
const authorize: Authorizer = (request) => {
  checked++;
  return counting(request);
};

beforeAll(async () => {
  env = await createTestDb('admin_throttle');
  admin = createAdminRouter({ db: env.db, schema: env.schema, authorize });
});

afterAll(async () => {
  await admin?.close();
  await env?.drop();
});

async function serve(): Promise<AdminServer> {
  return createAdminServer({ router: admin, port: 0, signInThrottle: { maxFailures: 5, windowMs: 60_000, blockMs: 2_000 } });
}

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/trpc`, { headers });
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, retryAfter: undefined });
    });
    ws.on('error', () => {});
  });
}

describe('sign-in throttling per client address', () => {
  it('over HTTP: after 5 refused tokens, 100 more get 429 with Retry-After and none is checked; then it lets in again', async () => {
    const server = await serve();
    const get = (token: string) => fetch(`${server.url}/trpc/failed.list`, { headers: { authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(`wrong-token-${i}-0123456789`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const checkedBefore = checked;
    const blocked: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 100; i++) {
      const res = await get(`wrong-token-x${i}-0123456789`);
      blocked.push(res.status);
      retryAfter = res.headers.get('retry-after');
    }
    expect(new Set(blocked)).toEqual(new Set([429]));
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(2);
    expect(checked - checkedBefore).toBe(0);
    // Even the right token waits until the block ends (2 s here), then works.
    expect((await get(ROLE_TOKENS.viewer)).status).toBe(429);
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await get(ROLE_TOKENS.viewer)).status).toBe(200);
    expect(await countRows(env.db, env.schema, 'admin_audit', sql`outcome = 'throttled' and transport = 'http'`)).toBe(1);
    await server.close();
  });

  it('over WebSocket: refused connectionParams tokens count, and a blocked address gets 429 on the upgrade', async () => {
    const server = await serve();
    for (let i = 0; i < 5; i++) {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/trpc?connectionParams=1`);
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ method: 'connectionParams', data: { token: `wrong-token-${i}-0123456789` } }));
      await new Promise((r) => ws.once('close', r));
    }
    const blocked = await upgradeStatus(server.url);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await upgradeStatus(server.url, { authorization: `Bearer ${ROLE_TOKENS.admin}` })).status).toBe(429);
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await upgradeStatus(server.url, { authorization: `Bearer ${ROLE_TOKENS.admin}` })).status).toBe(101);
    expect(await countRows(env.db, env.schema, 'admin_audit', sql`kind = 'sign-in' and outcome = 'refused' and transport = 'ws'`)).toBe(5);
    await server.close();
  });
});
