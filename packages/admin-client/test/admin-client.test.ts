import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuth, type AdminServer } from '@metro/admin-trpc';
import { createAdminClient, TRPCClientError, type FailureSummary } from '../src/index.js';
import { createTestDb, newFailure, recordMany, serveAdmin } from './support.js';

const TOKEN = 'client-token-0123456789';
let env: Awaited<ReturnType<typeof createTestDb>>;
let served: Awaited<ReturnType<typeof serveAdmin>>;
let server: AdminServer;

beforeAll(async () => {
  env = await createTestDb('admin_client');
  served = await serveAdmin(env, { authorize: tokenAuth({ operator: { token: TOKEN, roles: ['operator'] } }), failurePollMs: 100 });
  server = served.server;
}, 60_000);

afterAll(async () => {
  await served?.close();
  await env?.drop();
});

describe('createAdminClient', () => {
  it('queries and mutates over HTTP with the token', async () => {
    const client = createAdminClient({ url: `${server.url}/`, token: TOKEN });
    expect(await client.session.whoami.query()).toMatchObject({ principal: 'operator', roles: ['operator'], permissions: ['read', 'payloads', 'operate'] });
    const [id] = await recordMany(env.db, env.schema, [newFailure({ type: 'http-case' })]);
    expect(await client.failed.retry.mutate({ id: id! })).toEqual({ retried: true, status: 'retried' });
    await client.close();
  });

  it('subscribes over a WebSocket (on Node 20 through `ws`) and gets new failures live', async () => {
    const client = createAdminClient({ url: server.url, token: TOKEN });
    const live: FailureSummary[] = [];
    const sub = await new Promise<{ unsubscribe(): void }>((resolve) => {
      const s = client.live.onFailure.subscribe(undefined, { onStarted: () => resolve(s), onData: (f) => live.push(f) });
    });
    await recordMany(env.db, env.schema, [newFailure({ type: 'live-case' })]);
    await expect.poll(() => live.some((f) => f.type === 'live-case'), { timeout: 10_000 }).toBe(true);
    sub.unsubscribe();
    await client.close();
    await client.close(); // safe twice
  });

  it('rejects with its TRPCClientError (UNAUTHORIZED) for a wrong token', async () => {
    const client = createAdminClient({ url: server.url, token: 'wrong' });
    const refused = await client.failed.list.query().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TRPCClientError);
    expect(refused).toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    await client.close();
  });
});
