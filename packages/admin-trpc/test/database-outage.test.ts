import { TcpProxy } from '@metro/test-support';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { createPgDatabase } from '@metro/outbox-pg';
import pg from 'pg';
import { createAdminRouter, tokenAuth, type AdminRouter, type FailureSummary } from '../src/index.js';
import { createTestDb, newFailure, recordMany, waitFor, serveAdmin, type AdminClient } from './support.js';

const TOKEN = 'outage-token-0123456789';

let env: Awaited<ReturnType<typeof createTestDb>>;
let proxy: TcpProxy;
let proxiedDb: Kysely<any>;
let admin: AdminRouter;
let served: Awaited<ReturnType<typeof serveAdmin>> | undefined;
let client: AdminClient;

beforeAll(async () => {
  env = await createTestDb('admin_outage');
  await recordMany(env.db, env.schema, [newFailure()]);
  proxy = new TcpProxy('127.0.0.1', 5432);
  const port = await proxy.listen();
  const pool = new pg.Pool({
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test').pathname.slice(1),
    max: 4,
    connectionTimeoutMillis: 2000,
  });
  proxiedDb = createPgDatabase<any>(pool);
  admin = createAdminRouter({ db: proxiedDb, schema: env.schema, authorize: tokenAuth({ ops: { token: TOKEN, roles: ['operator'] } }), failurePollMs: 100 });
  served = await serveAdmin(admin, TOKEN);
  client = served.client;
});

afterAll(async () => {
  await served?.close();
  await proxiedDb?.destroy();
  await proxy?.close();
  await env?.drop();
});

it('answers errors while the database is unreachable, stays up, and recovers (live feed included)', async () => {
  const live: FailureSummary[] = [];
  await new Promise<void>((resolve) => client.live.onFailure.subscribe(undefined, { onStarted: () => resolve(), onData: (f) => live.push(f) }));
  expect((await client.failed.list.query()).items).toHaveLength(1);

  proxy.cutAll();
  await expect(client.failed.list.query()).rejects.toMatchObject({
    message: 'Internal error in the admin API; see the server log.',
    data: { code: 'INTERNAL_SERVER_ERROR' },
  });
  await expect(client.failed.retryMany.mutate({ filter: {} })).rejects.toMatchObject({ data: { code: 'INTERNAL_SERVER_ERROR' } });
  // A failure recorded (by a service with its own connection) during the outage.
  const [during] = await recordMany(env.db, env.schema, [newFailure({ type: 'during-outage' })]);
  await new Promise((r) => setTimeout(r, 500));
  const duringOutage = () => live.filter((f) => f.type === 'during-outage');
  expect(duringOutage()).toHaveLength(0);

  proxy.restore();
  await waitFor(async () => (await client.failed.list.query().catch(() => ({ items: [] }))).items.length === 2, 15_000, 'the API to recover');
  await waitFor(() => duringOutage().length === 1, 15_000, 'the live feed to catch up');
  expect(duringOutage()[0]!.id).toBe(during);
  expect(await client.failed.retryMany.mutate({ filter: {} })).toEqual({ retried: 2, skipped: 0, more: false });
});
