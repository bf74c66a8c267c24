// Scheduler on real PostgreSQL: Metro (@metro/scheduler: schedule -> worker -> outbox row) vs pg-boss 10
// (sendAfter -> a worker fetching the job), side by side in one process run, each in its own schema of
// the `test` database.
//   1. Lateness (fired time minus due time) with 1,000 schedules due per second for 3 s. Metro: outbox
//      row written (outbox.created_at) minus due_at. pg-boss: job started (started_on) minus start_after.
//      Goal p99 < 100 ms.
//   2. Cancel among 1,000,000 pending schedules. Metro cancels by type + tags (GIN index, `tags @>`);
//      pg-boss cancels by job id only (it has no tags), so its figure is cancel-by-id. Metro's
//      cancelById is reported too. Goal < 20 ms.
import { randomBytes } from 'node:crypto';
import { defineEvent } from '@metro/core';
import { migrate, pgNotifications } from '@metro/outbox-pg';
import { createScheduler, createSchedulerWorker, migrateScheduler } from '@metro/scheduler';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { z } from 'zod';
import type { BenchResult } from './types.js';
import { cpuRow } from './support/cpu-row.js';
import { measureRun, type RunFigures } from './support/run-figures.js';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const suffix = randomBytes(4).toString('hex');
const RATE = 1000; // schedules due per second
const SECONDS = 3;
const MILLION = 1_000_000;
const CANCELS = 40;
/** Which parts to run: `SCHEDULER_BENCH_PARTS=lateness` or `cancel`; default both. */
const PARTS = (process.env.SCHEDULER_BENCH_PARTS ?? 'lateness,cancel').split(',');

const Reminder = defineEvent({ topic: 'bench', type: 'reminder', schema: z.object({ orderId: z.string() }) });

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

async function inParallel(total: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for schedules to fire');
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Lateness {
  p50: number;
  p99: number;
  max: number;
  /** Schedules written per second while preparing (8 concurrent callers). */
  schedulePerSecond: number;
  /** That same timed run: its rate and Node CPU per schedule call. */
  scheduleRun: RunFigures;
}

// Both sides schedule 3,000 messages an hour ahead (timing the calls), then one UPDATE shifts the due
// times to start 1.5 s from now at 1,000 per second, so scheduling speed on a busy machine cannot eat
// into the firing window. Lateness is measured on the database clock.
const LEAD_MS = 1500;

async function metroLateness(db: Kysely<any>, pool: pg.Pool, schema: string): Promise<Lateness> {
  const scheduler = createScheduler({ db, schema, source: 'bench' });
  const total = RATE * SECONDS;
  const far = Date.now() + 3_600_000;
  const scheduleRun = await measureRun(total, () =>
    inParallel(total, 8, (i) => scheduler.schedule(undefined, Reminder, { orderId: `o${i}` }, { at: new Date(far + Math.floor((i * 1000) / RATE)) })),
  );
  const schedulePerSecond = scheduleRun.rate;
  const worker = createSchedulerWorker({ db, schema, listen: pgNotifications(pool) });
  await worker.start();
  const shift = far - (Date.now() + LEAD_MS);
  await sql`UPDATE ${sql.id(schema, 'scheduled_messages')} SET due_at = due_at - ${shift} * interval '1 ms' WHERE status = 'pending'`.execute(db);
  await sql`SELECT pg_notify(${`metro_scheduler_${schema}`}, '')`.execute(db);
  const count = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(schema, 'outbox')}`.execute(db)).rows[0]!.n);
  await waitUntil(async () => (await count()) >= total, 60_000);
  await worker.stop();
  const rows = await sql<{ ms: string }>`
    SELECT extract(epoch from (o.created_at - s.due_at)) * 1000 AS ms
    FROM ${sql.id(schema, 'outbox')} o JOIN ${sql.id(schema, 'scheduled_messages')} s ON s.id = o.message_id`.execute(db);
  const ms = rows.rows.map((r) => Number(r.ms));
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), max: Math.max(...ms), schedulePerSecond, scheduleRun };
}

async function pgBossLateness(boss: PgBoss, db: Kysely<any>, bossSchema: string): Promise<Lateness> {
  const queue = 'lateness';
  await boss.createQueue(queue);
  const total = RATE * SECONDS;
  const far = Date.now() + 3_600_000;
  const scheduleRun = await measureRun(total, () =>
    inParallel(total, 8, (i) => boss.sendAfter(queue, { orderId: `o${i}` }, {}, new Date(far + Math.floor((i * 1000) / RATE)))),
  );
  const schedulePerSecond = scheduleRun.rate;
  let done = 0;
  await boss.work(queue, { batchSize: 1000, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    done += jobs.length;
  });
  const shift = far - (Date.now() + LEAD_MS);
  await sql`UPDATE ${sql.id(bossSchema, 'job')} SET start_after = start_after - ${shift} * interval '1 ms' WHERE name = ${queue}`.execute(db);
  await waitUntil(async () => done >= total, 60_000);
  const rows = await sql<{ ms: string }>`
    SELECT extract(epoch from (started_on - start_after)) * 1000 AS ms FROM ${sql.id(bossSchema, 'job')} WHERE name = ${queue}`.execute(db);
  const ms = rows.rows.map((r) => Number(r.ms));
  return { p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), max: Math.max(...ms), schedulePerSecond, scheduleRun };
}

async function metroCancel(db: Kysely<any>, schema: string): Promise<{ byTags: number; byTagsP99: number; byId: number; insertSeconds: number }> {
  const table = sql.id(schema, 'scheduled_messages');
  const t0 = Date.now();
  // Bulk load as one would: drop the tags index, insert, rebuild it from its own definition.
  const def = await sql<{
    indexdef: string;
  }>`SELECT indexdef FROM pg_indexes WHERE schemaname = ${schema} AND indexname = 'scheduled_messages_tags_idx'`.execute(db);
  await sql`DROP INDEX ${sql.id(schema, 'scheduled_messages_tags_idx')}`.execute(db);
  await sql`
    INSERT INTO ${table} (id, type, name, kind, due_at, tags, envelope, body, content_type)
    SELECT 'm' || i, 'reminder', 'bench.reminder', 'event', now() + interval '1 day' + i * interval '1 ms',
           jsonb_build_object('orderId', i::text, 'tenant', (i % 1000)::text),
           jsonb_build_object('id', 'm' || i, 'data', jsonb_build_object('orderId', i::text)),
           convert_to('{}', 'UTF8'), 'application/cloudevents+json'
    FROM generate_series(1, ${MILLION}) AS i`.execute(db);
  await sql.raw(def.rows[0]!.indexdef).execute(db);
  await sql`ANALYZE ${table}`.execute(db);
  const insertSeconds = (Date.now() - t0) / 1000;
  const scheduler = createScheduler({ db, schema, source: 'bench' });
  await scheduler.cancel({ type: 'reminder', tags: { orderId: 1 } }); // warm the pool and plan
  const byTags: number[] = [];
  const byId: number[] = [];
  for (let k = 0; k < CANCELS; k++) {
    const i = 2 + Math.floor(Math.random() * (MILLION - 2));
    let t = performance.now();
    const n = await scheduler.cancel({ type: 'reminder', tags: { orderId: i } });
    byTags.push(performance.now() - t);
    if (n !== 1) throw new Error(`cancel by tags cancelled ${n}, expected 1`);
    const j = 2 + Math.floor(Math.random() * (MILLION - 2));
    t = performance.now();
    await scheduler.cancelById(`m${j}`);
    byId.push(performance.now() - t);
  }
  return { byTags: quantile(byTags, 0.5), byTagsP99: quantile(byTags, 0.99), byId: quantile(byId, 0.5), insertSeconds };
}

async function pgBossCancel(boss: PgBoss, db: Kysely<any>, bossSchema: string): Promise<{ byId: number; byIdP99: number }> {
  const queue = 'cancel';
  await boss.createQueue(queue);
  await sql`
    INSERT INTO ${sql.id(bossSchema, 'job')} (name, data, start_after)
    SELECT ${queue}, jsonb_build_object('orderId', i::text), now() + interval '1 day'
    FROM generate_series(1, ${MILLION}) AS i`.execute(db);
  await sql`ANALYZE ${sql.id(bossSchema, 'job')}`.execute(db);
  const ids = (
    await sql<{ id: string }>`SELECT id FROM ${sql.id(bossSchema, 'job')} WHERE name = ${queue} ORDER BY random() LIMIT ${CANCELS + 1}`.execute(db)
  ).rows.map((r) => r.id);
  await boss.cancel(queue, ids[0]!);
  const times: number[] = [];
  for (const id of ids.slice(1)) {
    const t = performance.now();
    await boss.cancel(queue, id);
    times.push(performance.now() - t);
  }
  return { byId: quantile(times, 0.5), byIdP99: quantile(times, 0.99) };
}

export async function run(): Promise<BenchResult[]> {
  const schema = `bench_sched_${suffix}`;
  const bossSchema = `bench_pgboss_${suffix}`;
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {});
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  const boss = new PgBoss({ connectionString: url, schema: bossSchema, supervise: false, schedule: false, max: 10 });
  boss.on('error', () => {});
  try {
    await migrate(db, { schema });
    await migrateScheduler(db, { schema });
    await boss.start();

    const results: BenchResult[] = [];
    const note = `${RATE}/s due for ${SECONDS}s; metro: outbox row time - due_at (worker with LISTEN/NOTIFY, batch 100); pg-boss: started_on - start_after (work() polling 0.5 s, its minimum; batch 1000)`;
    if (PARTS.includes('lateness')) {
      const metroLate = await metroLateness(db, pool, schema);
      const bossLate = await pgBossLateness(boss, db, bossSchema);
      results.push(
        {
          name: 'lateness p50, 1,000 due/s',
          metro: metroLate.p50,
          baseline: bossLate.p50,
          unit: 'ms',
          baselineName: 'pg-boss 10 sendAfter + work',
          higherIsBetter: false,
          notes: note,
        },
        {
          name: 'lateness p99, 1,000 due/s',
          metro: metroLate.p99,
          baseline: bossLate.p99,
          unit: 'ms',
          baselineName: 'pg-boss 10 sendAfter + work',
          higherIsBetter: false,
          goal: 'p99 < 100 ms',
          met: metroLate.p99 < 100,
          notes: note,
        },
        {
          name: 'schedule calls, 8 concurrent',
          metro: metroLate.schedulePerSecond,
          baseline: bossLate.schedulePerSecond,
          unit: 'msg/s',
          baselineName: 'pg-boss 10 sendAfter',
          notes:
            'schedules due 1 h ahead; metro validates the payload with zod and stores envelope + encoded body + tags (a schedule due within 60 s also NOTIFYs the workers, which serializes commits: about half this rate)',
        },
        cpuRow({
          name: 'schedule calls, 8 concurrent, Node CPU per call',
          metro: [metroLate.scheduleRun],
          baseline: [bossLate.scheduleRun],
          unit: 'us/call',
          baselineName: 'pg-boss 10 sendAfter',
          notCounted: "PostgreSQL's",
          notes: `the same timed runs as the row above (${RATE * SECONDS} calls each)`,
        }),
      );
      console.log(
        `lateness ms  metro p50 ${metroLate.p50.toFixed(1)} p99 ${metroLate.p99.toFixed(1)} max ${metroLate.max.toFixed(1)} | pg-boss p50 ${bossLate.p50.toFixed(1)} p99 ${bossLate.p99.toFixed(1)} max ${bossLate.max.toFixed(1)}`,
      );
    }
    if (PARTS.includes('cancel')) {
      const metroCancelled = await metroCancel(db, schema);
      const bossCancelled = await pgBossCancel(boss, db, bossSchema);
      console.log(
        `cancel ms  metro by tags p50 ${metroCancelled.byTags.toFixed(2)} p99 ${metroCancelled.byTagsP99.toFixed(2)}, by id p50 ${metroCancelled.byId.toFixed(2)} | pg-boss by id p50 ${bossCancelled.byId.toFixed(2)} p99 ${bossCancelled.byIdP99.toFixed(2)} (1M rows inserted in ${metroCancelled.insertSeconds.toFixed(1)} s)`,
      );

      results.push({
        name: 'cancel among 1,000,000 pending (p50)',
        metro: metroCancelled.byTags,
        baseline: bossCancelled.byId,
        unit: 'ms',
        baselineName: 'pg-boss 10 cancel(name, id) — it cancels by id only, no tags',
        higherIsBetter: false,
        goal: '< 20 ms',
        met: metroCancelled.byTags < 20,
        notes: `metro cancel({ type, tags: { orderId } }) via GIN (tags jsonb_path_ops) partial index; metro cancelById p50 ${metroCancelled.byId.toFixed(2)} ms; by-tags p99 ${metroCancelled.byTagsP99.toFixed(2)} ms`,
      });
    }
    return results;
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => {});
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db).catch(() => {});
    await sql`DROP SCHEMA IF EXISTS ${sql.id(bossSchema)} CASCADE`.execute(db).catch(() => {});
    await db.destroy();
  }
}
