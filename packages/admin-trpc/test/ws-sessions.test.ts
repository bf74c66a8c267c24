import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { createAdminRouter, createAdminServer, type AdminRouter, type AdminServer, type Authorizer } from '../src/index.js';
import { countRows, createAdminClient, createTestDb, newFailure, recordMany, waitFor } from './support.js';

const TOKEN = 'ws-session-token-0123456789';
let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let server: AdminServer;
let ids: string[];
/** Tokens revoked in the custom authorizer's "store". */
const revoked = new Set<string>();
const authorize: Authorizer = ({ token }) => (token === TOKEN && !revoked.has(token) ? { id: 'ops', roles: ['operator'] } : null);

/** A raw socket on the API that asks for connectionParams (as browsers do) and never sends them. */
function preAuthSocket(url: string): Promise<{ ws: WebSocket; opened: boolean; status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/trpc?connectionParams=1`);
    ws.on('open', () => resolve({ ws, opened: true, status: 101 }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, opened: false, status: res.statusCode ?? 0 }));
    ws.on('error', () => {});
  });
}

beforeAll(async () => {
  env = await createTestDb('admin_ws');
  ids = await recordMany(
    env.db,
    env.schema,
    Array.from({ length: 5 }, () => newFailure()),
  );
  admin = createAdminRouter({ db: env.db, schema: env.schema, authorize, statsIntervalMs: 200, failurePollMs: 100 });
  server = await createAdminServer({ router: admin, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await admin?.close();
  await env?.drop();
});

describe('WebSocket sessions', () => {
  it('closes sockets that do not sign in within 5 s even while they PING, and caps sockets per address', async () => {
    const sockets = await Promise.all(Array.from({ length: 25 }, () => preAuthSocket(server.url)));
    const open = sockets.filter((s) => s.opened);
    // 20 per address by default: the rest are refused at the upgrade.
    expect(open).toHaveLength(20);
    expect(sockets.filter((s) => !s.opened).map((s) => s.status)).toEqual([429, 429, 429, 429, 429]);
    const started = Date.now();
    const closedAt: number[] = [];
    for (const { ws } of open) ws.on('close', () => closedAt.push(Date.now() - started));
    // PING every 500 ms: tRPC answers PONG before sign-in, but it does not extend the deadline.
    const pongs: string[] = [];
    for (const { ws } of open) ws.on('message', (m) => pongs.push(m.toString()));
    const pinger = setInterval(() => open.forEach(({ ws }) => ws.readyState === WebSocket.OPEN && ws.send('PING')), 500);
    try {
      await waitFor(() => closedAt.length === open.length, 15_000, 'every pre-auth socket closed');
    } finally {
      clearInterval(pinger);
    }
    expect(pongs.filter((p) => p === 'PONG').length).toBeGreaterThan(0);
    // Closed by the 5 s deadline (measured from after the upgrades, so a little under 5 s is possible), none held open.
    expect(Math.min(...closedAt)).toBeGreaterThan(4_000);
    expect(Math.max(...closedAt)).toBeLessThan(9_000);
    expect(open.filter(({ ws }) => ws.readyState !== WebSocket.CLOSED)).toHaveLength(0);
    // The address's sockets are counted out: a new one is accepted.
    const again = await preAuthSocket(server.url);
    expect(again.opened).toBe(true);
    again.ws.close();
  }, 30_000);

  it('keeps a signed-in socket open past the deadline', async () => {
    const client = createAdminClient({ url: server.url, token: TOKEN, allOverWebSocket: true });
    const data: unknown[] = [];
    const sub = client.live.onStats.subscribe(undefined, { onData: (d) => data.push(d) });
    await new Promise((r) => setTimeout(r, 6_500));
    expect(data.length).toBeGreaterThan(5);
    expect((await client.failed.list.query()).items).toHaveLength(5);
    sub.unsubscribe();
    await client.close();
  }, 20_000);

  it('caps sockets in total (503 past maxSockets)', async () => {
    const small = await createAdminServer({ router: admin, port: 0, websocket: { maxSockets: 3, maxSocketsPerAddress: 100 } });
    const sockets = await Promise.all(Array.from({ length: 5 }, () => preAuthSocket(small.url)));
    expect(sockets.map((s) => s.status).sort()).toEqual([101, 101, 101, 503, 503]);
    for (const { ws } of sockets) ws.terminate();
    await small.close();
  });

  it('a token revoked while the socket is open: its subscriptions end within 2 s and 5 of 5 mutations on it are refused', async () => {
    const client = createAdminClient({ url: server.url, token: TOKEN, allOverWebSocket: true });
    const ended: Array<{ sub: string; at: number; code: unknown }> = [];
    const stats: unknown[] = [];
    const started = new Promise<void>((resolve) =>
      client.live.onStats.subscribe(undefined, {
        onStarted: () => resolve(),
        onData: (d) => stats.push(d),
        onError: (e) => ended.push({ sub: 'onStats', at: Date.now(), code: (e.data as { code?: string } | undefined)?.code }),
      }),
    );
    client.live.onFailure.subscribe(undefined, {
      onError: (e) => ended.push({ sub: 'onFailure', at: Date.now(), code: (e.data as { code?: string } | undefined)?.code }),
    });
    await started;
    expect(await client.failed.retry.mutate({ id: ids[0]! })).toEqual({ retried: true, status: 'retried' });
    const before = JSON.stringify([
      await countRows(env.db, env.schema, 'outbox'),
      await countRows(env.db, env.schema, 'failed_messages', sql`status = 'failed'`),
    ]);
    revoked.add(TOKEN);
    const revokedAt = Date.now();
    const outcomes = await Promise.allSettled(
      ids
        .slice(1)
        .concat(ids[1]!)
        .map((id) => client.failed.retry.mutate({ id })),
    );
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { data?: { code?: string } }).data?.code : 'fulfilled'))).toEqual(
      Array(5).fill('UNAUTHORIZED'),
    );
    await waitFor(() => ended.length === 2, 5_000, 'both subscriptions ended');
    expect(ended.map((e) => e.code)).toEqual(['UNAUTHORIZED', 'UNAUTHORIZED']);
    // Re-checked every second: ended within 2 s of the revocation.
    expect(Math.max(...ended.map((e) => e.at - revokedAt))).toBeLessThan(2_000);
    const count = stats.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(stats.length).toBe(count);
    expect(
      JSON.stringify([await countRows(env.db, env.schema, 'outbox'), await countRows(env.db, env.schema, 'failed_messages', sql`status = 'failed'`)]),
    ).toBe(before);
    // Over HTTP every request is authorized on its own.
    const res = await fetch(`${server.url}/trpc/failed.list`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(401);
    // The refusals on the socket are in the audit trail.
    expect(await countRows(env.db, env.schema, 'admin_audit', sql`kind = 'sign-in' and outcome = 'refused' and transport = 'ws'`)).toBeGreaterThanOrEqual(5);
    await client.close();
    revoked.delete(TOKEN);
  }, 20_000);
});
