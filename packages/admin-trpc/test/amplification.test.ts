import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, PostgresDialect, sql } from 'kysely';
import WebSocket from 'ws';
import { createAdminRouter, createAdminServer, type AdminRouter, type AdminServer } from '../src/index.js';
import { copyFailure, countRows, createAdminClient, createTestDb, newFailure, recordMany, roleAuth, ROLE_TOKENS, waitFor } from './support.js';

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let server: AdminServer;
/** Statements the router ran against PostgreSQL (counted by a Kysely log over the test's pool). */
let statements = 0;

beforeAll(async () => {
  env = await createTestDb('admin_amplify');
  const counted = new Kysely<any>({
    dialect: new PostgresDialect({ pool: env.pool }),
    log: (event) => {
      if (event.level === 'query') statements++;
    },
  });
  admin = createAdminRouter({ db: counted, schema: env.schema, authorize: roleAuth(), statsIntervalMs: 250, audit: { enabled: false } });
  server = await createAdminServer({ router: admin, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await admin?.close();
  await env?.drop();
});

/** Statements run while `n` onStats subscriptions (10 per socket) are open for `ms`. */
async function statementsWhileSubscribed(n: number, ms: number): Promise<{ statements: number; pushes: number[] }> {
  const clients = Array.from({ length: Math.ceil(n / 10) }, () => createAdminClient({ url: server.url, token: ROLE_TOKENS.viewer }));
  const pushes = Array.from({ length: n }, () => 0);
  const subs = Array.from({ length: n }, (_, i) => clients[Math.floor(i / 10)]!.live.onStats.subscribe(undefined, { onData: () => void pushes[i]!++ }));
  await waitFor(() => pushes.every((p) => p > 0), 10_000, 'every subscriber got stats');
  const before = statements;
  await new Promise((r) => setTimeout(r, ms));
  const during = statements - before;
  subs.forEach((s) => s.unsubscribe());
  await Promise.all(clients.map((c) => c.close()));
  return { statements: during, pushes };
}

describe('amplification', () => {
  it('50 onStats subscriptions share one database poll', async () => {
    const one = await statementsWhileSubscribed(1, 2_000);
    const fifty = await statementsWhileSubscribed(50, 2_000);
    expect(fifty.pushes.every((p) => p >= 2)).toBe(true);
    // Per-subscription polling would run ~50x the statements of one subscriber; shared, it runs about as many.
    expect(one.statements).toBeGreaterThan(0);
    expect(fifty.statements).toBeLessThanOrEqual(one.statements * 2 + 10);
  }, 30_000);

  it('refuses the 11th subscription on one socket with TOO_MANY_REQUESTS', async () => {
    const client = createAdminClient({ url: server.url, token: ROLE_TOKENS.viewer });
    const errors: Array<string | undefined> = [];
    const started: number[] = [];
    const subs = [];
    // One at a time: the client batches what is sent in one tick, and a batch over 10 is refused whole.
    for (let i = 0; i < 11; i++) {
      subs.push(
        client.live.onStats.subscribe(undefined, {
          onStarted: () => void started.push(i),
          onError: (e) => void errors.push((e.data as { code?: string })?.code),
        }),
      );
      await waitFor(() => started.length + errors.length === i + 1, 10_000, `subscription ${i + 1} answered`);
    }
    expect(started).toHaveLength(10);
    expect(errors).toEqual(['TOO_MANY_REQUESTS']);
    subs.forEach((s) => s.unsubscribe());
    await client.close();
  });

  it('limits tRPC batches to 10 calls over HTTP and WebSocket', async () => {
    const batch = (n: number) =>
      fetch(`${server.url}/trpc/${Array.from({ length: n }, () => 'outbox.history').join(',')}?batch=1&input={}`, {
        headers: { authorization: `Bearer ${ROLE_TOKENS.viewer}` },
      });
    expect((await batch(10)).status).toBe(200);
    const refused = await batch(11);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('At most 10 calls per batch');
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/trpc`, { headers: { authorization: `Bearer ${ROLE_TOKENS.viewer}` } });
    const replies: Array<{ id: number | null; error?: { data?: { code?: string } } }> = [];
    ws.on('message', (m) => replies.push(JSON.parse(m.toString()) as (typeof replies)[number]));
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ id: i + 1, method: 'query', params: { path: 'outbox.history' } }))));
    await waitFor(() => replies.length === 11, 5_000, '11 replies');
    expect(replies.every((r) => r.error?.data?.code === 'BAD_REQUEST')).toBe(true);
    ws.close();
  });

  it('changes at most 10,000 records per bulk call by filter, and says there are more', async () => {
    const [seed] = await recordMany(env.db, env.schema, [newFailure({ type: 'bulk-limit' })]);
    await copyFailure(env.db, env.schema, seed!, 10_004);
    expect(await countRows(env.db, env.schema, 'failed_messages', sql`type = 'bulk-limit'`)).toBe(10_005);
    const operator = createAdminClient({ url: server.url, token: ROLE_TOKENS.operator });
    expect(await operator.failed.deleteMany.mutate({ filter: { type: 'bulk-limit' } })).toEqual({ deleted: 10_000, more: true });
    expect(await operator.failed.deleteMany.mutate({ filter: { type: 'bulk-limit' } })).toEqual({ deleted: 5, more: false });
    expect(await operator.failed.restoreMany.mutate({ filter: { type: 'bulk-limit' } })).toEqual({ restored: 10_000, more: true });
    expect(await operator.failed.restoreMany.mutate({ filter: { type: 'bulk-limit' } })).toEqual({ restored: 5, more: false });
    await operator.close();
  }, 120_000);

  it('retries at most 10,000 failed records per call by filter, and says there are more', async () => {
    const [seed] = await recordMany(env.db, env.schema, [newFailure({ type: 'retry-limit' })]);
    await copyFailure(env.db, env.schema, seed!, 10_004);
    const operator = createAdminClient({ url: server.url, token: ROLE_TOKENS.operator });
    expect(await operator.failed.retryMany.mutate({ filter: { type: 'retry-limit' } })).toEqual({ retried: 10_000, skipped: 0, more: true });
    expect(await operator.failed.retryMany.mutate({ filter: { type: 'retry-limit' } })).toEqual({ retried: 5, skipped: 0, more: false });
    expect(await countRows(env.db, env.schema, 'failed_messages', sql`type = 'retry-limit' and status = 'retried'`)).toBe(10_005);
    await operator.close();
  }, 240_000);
});
