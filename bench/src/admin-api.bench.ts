// Admin API overhead: the typed tRPC API over HTTP (auth, JSON, zod) against calling the
// PostgreSQL failure store in-process, and bulk retry through the API (chunked, 4 in flight)
// against outbox-pg's own sequential retryMany (retries per second and Node CPU per retry; the API
// server runs in this process, so its CPU is counted with the client's).
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { migrate, pgFailureStore } from '@metro/outbox-pg';
import { migrateScheduler } from '@metro/scheduler';
import type { NewFailure } from '@metro/core';
import { createAdminRouter, createAdminServer, migrateAdmin, tokenAuth } from '@metro/admin-trpc';
import { createAdminClient } from '@metro/admin-client';
import type { BenchResult } from './types.js';
import { cpuRow } from './support/cpu-row.js';
import { startTiming } from './support/run-figures.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const FAILURES = 2_000;
const LIST_ROUNDS = 300;

function failure(i: number, tag: string): NewFailure {
  const id = `bench-${tag}-${i}`;
  const envelope = {
    specversion: '1.0' as const,
    id,
    source: 'bench',
    type: 'placed',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { i },
    kind: 'event' as const,
    topic: 'orders',
    subject: 'placed',
  };
  return {
    messageId: id,
    service: 'billing',
    queue: 'billing',
    handler: 'charge',
    reason: 'handler',
    type: 'placed',
    topic: 'orders',
    correlationId: id,
    envelope,
    body: new TextEncoder().encode(JSON.stringify(envelope)),
    contentType: 'application/cloudevents+json',
    headers: {},
    error: { name: 'Error', message: 'card declined' },
    attempts: 1,
  };
}

async function seed(db: Kysely<any>, schema: string, tag: string): Promise<string[]> {
  const store = pgFailureStore(db, { schema });
  const ids: string[] = [];
  for (let i = 0; i < FAILURES; i += 50) {
    const batch = await Promise.all(Array.from({ length: 50 }, (_, k) => store.record(failure(i + k, tag))));
    ids.push(...batch.map((r) => r.id));
  }
  return ids;
}

export async function run(): Promise<BenchResult[]> {
  const schema = `bench_admin_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  await sql`create schema ${sql.id(schema)}`.execute(db);
  await migrate(db, { schema });
  await migrateScheduler(db, { schema });
  await migrateAdmin(db, { schema });
  const admin = createAdminRouter({ db, schema, authorize: tokenAuth({ bench: { token: 'bench-token-0123456789', roles: ['operator'] } }) });
  const server = await createAdminServer({ router: admin, port: 0 });
  const client = createAdminClient({ url: server.url, token: 'bench-token-0123456789' });
  const store = pgFailureStore(db, { schema });
  const results: BenchResult[] = [];
  try {
    const apiIds = await seed(db, schema, 'api');
    // Latency of one page of 50, newest first (warm up both first).
    for (let i = 0; i < 20; i++) {
      await store.list({ limit: 50 });
      await client.failed.list.query({ limit: 50 });
    }
    let t = performance.now();
    for (let i = 0; i < LIST_ROUNDS; i++) await store.list({ limit: 50 });
    const direct = (performance.now() - t) / LIST_ROUNDS;
    t = performance.now();
    for (let i = 0; i < LIST_ROUNDS; i++) await client.failed.list.query({ limit: 50 });
    const api = (performance.now() - t) / LIST_ROUNDS;
    results.push({
      name: 'failed.list, page of 50 (mean latency)',
      metro: api,
      baseline: direct,
      unit: 'ms',
      baselineName: 'pgFailureStore.list in-process',
      higherIsBetter: false,
      notes: `${FAILURES} rows; the API adds HTTP, auth, zod and JSON`,
    });

    // Bulk retry: API (chunks of 250, 4 in flight) vs outbox-pg's sequential retryMany.
    let timing = startTiming();
    const viaApi = await client.failed.retryMany.mutate({ filter: {} });
    const apiRun = timing.stop(viaApi.retried);
    const apiRate = apiRun.rate;
    await sql`update ${sql.id(schema, 'failed_messages')} set status = 'deleted' where id in (${sql.join(apiIds)})`.execute(db);
    const directIds = await seed(db, schema, 'direct');
    timing = startTiming();
    const viaStore = await store.retryMany(directIds);
    const storeRun = timing.stop(viaStore.retried);
    const storeRate = storeRun.rate;
    results.push({
      name: `failed.retryMany, ${FAILURES} failures (claim + outbox row each)`,
      metro: apiRate,
      baseline: storeRate,
      unit: 'retries/s',
      baselineName: 'pgFailureStore.retryMany (sequential)',
      higherIsBetter: true,
      notes: 'API retries in chunks of 250, 4 at once',
    });
    results.push(
      cpuRow({
        name: `failed.retryMany, ${FAILURES} failures, Node CPU per retry`,
        metro: [apiRun],
        baseline: [storeRun],
        unit: 'us/retry',
        baselineName: 'pgFailureStore.retryMany (sequential)',
        notCounted: "PostgreSQL's",
        notes: 'the same timed runs as the row above; the API side counts the HTTP client and the in-process tRPC server',
      }),
    );
  } finally {
    await client.close();
    await server.close();
    await admin.close();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  }
  for (const r of results) console.log(`${r.name}: metro ${r.metro.toFixed(2)} ${r.unit}, ${r.baselineName} ${r.baseline.toFixed(2)} ${r.unit}`);
  return results;
}
