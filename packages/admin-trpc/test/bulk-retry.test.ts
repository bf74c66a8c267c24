import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { InMemoryTransport, MetroHeaders } from '@metro/core';
import { createOutboxRelay } from '@metro/outbox-pg';
import { createAdminRouter, tokenAuth, type AdminRouter } from '../src/index.js';
import { countRows, createTestDb, newFailure, recordMany, waitFor, serveAdmin, type AdminClient } from './support.js';

const TOKEN = 'bulk-token-0123456789abc';
const N = 10_000;
let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let served: Awaited<ReturnType<typeof serveAdmin>> | undefined;
let client: AdminClient;
let transport: InMemoryTransport;
let relay: ReturnType<typeof createOutboxRelay>;

beforeAll(async () => {
  env = await createTestDb('admin_bulk');
  transport = new InMemoryTransport();
  await transport.declareQueue({ queue: 'billing' });
  const failures = Array.from({ length: N }, (_, i) => newFailure({ type: i % 2 === 0 ? 'even' : 'odd', data: { i } }));
  await recordMany(env.db, env.schema, failures, 10);
  admin = createAdminRouter({ db: env.db, schema: env.schema, authorize: tokenAuth({ ops: { token: TOKEN, roles: ['operator'] } }) });
  served = await serveAdmin(admin, TOKEN);
  client = served.client;
}, 120_000);

afterAll(async () => {
  await relay?.stop();
  await served?.close();
  await transport?.close();
  await env?.drop();
});

it('retries 10,000 failures by filter; each reaches the broker exactly once', async () => {
  const received = new Map<string, number>();
  const failureIds = new Set<string>();
  await transport.consume(
    'billing',
    async (delivery) => {
      received.set(delivery.messageId, (received.get(delivery.messageId) ?? 0) + 1);
      failureIds.add(String(delivery.headers[MetroHeaders.failureId]));
      await delivery.ack();
    },
    { concurrency: 32 },
  );

  const [first, second] = await Promise.all([client.failed.retryMany.mutate({ filter: {} }), client.failed.retryMany.mutate({ filter: { type: 'even' } })]);
  expect(first.retried + second.retried).toBe(N);
  expect(await countRows(env.db, env.schema, 'outbox')).toBe(N);
  expect(await client.failed.retryMany.mutate({ filter: {} })).toEqual({ retried: 0, skipped: 0, more: false });

  relay = createOutboxRelay({ db: env.db, transport, schema: env.schema, batchSize: 500, pollInterval: 100 });
  await relay.start();
  await waitFor(() => received.size === N, 90_000, `${N} deliveries`);
  await new Promise((r) => setTimeout(r, 500));
  expect(received.size).toBe(N);
  expect([...received.values()].every((n) => n === 1)).toBe(true);
  expect(failureIds.size).toBe(N);
  const statuses = await sql<{ status: string; n: string }>`select status, count(*) as n from ${sql.id(env.schema, 'failed_messages')} group by status`.execute(
    env.db,
  );
  expect(statuses.rows.map((r) => [r.status, Number(r.n)])).toEqual([['retried', N]]);
  const stats = await client.outbox.stats.query();
  expect(stats.pending).toBe(0);
}, 150_000);
