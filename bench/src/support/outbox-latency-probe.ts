// The outbox bench's latency part alone (the same producer, support/outbox-latency.ts), instrumented
// per event, to find what makes its tail:
//   cd bench && npx tsx src/support/outbox-latency-probe.ts
// Env: PROBE_CHURN_ROUNDS (default 10: rounds of OUTBOX_BENCH_EVENTS rows, default 40,000, each
// relayed by Metro's relay and by the lean relay first, as the throughput part does; 0: none),
// PROBE_SECONDS (6), PROBE_RATE (500), PROBE_RUNS (1: latency runs after the churn),
// PROBE_WAIT_MS (0: pause between the churn and the latency run), PROBE_VACUUM=1 (vacuum the churned
// table first, as the bench does), PROBE_NO_WARM_UP=1 (measure from the relay's start, without the
// bench's second of unrecorded load first).
// Per event: insert start -> commit (producer's ack) -> claim start -> claim returned -> publish
// called -> consumer received -> confirm. Sampled every 10 ms: event-loop delay, GC pauses, the
// pool's waiting count, and every 100 ms autovacuum/checkpoint activity from a connection of its own.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Kysely, PostgresDialect, sql, type KyselyPlugin } from 'kysely';
import pg from 'pg';
import type { Transport } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { createOutboxRelay, handlePoolErrors, migrate, pgNotifications, type NotificationSource } from '@metro/outbox-pg';
import { leanRelay } from './lean-relay.js';
import { openOutboxBroker } from './outbox-broker.js';
import { percentile, produceAtRate, warmUpAtRate } from './outbox-latency.js';
import { fillOutbox } from './outbox-rows.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const N = Number(process.env.OUTBOX_BENCH_EVENTS ?? 40_000);
const CHURN = Number(process.env.PROBE_CHURN_ROUNDS ?? 10);
const SECONDS = Number(process.env.PROBE_SECONDS ?? 6);
const RATE = Number(process.env.PROBE_RATE ?? 500);
const RUNS = Number(process.env.PROBE_RUNS ?? 1);
const WAIT_MS = Number(process.env.PROBE_WAIT_MS ?? 0);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const now = () => performance.now();

interface EventTimes {
  insert: number;
  commit?: number;
  claimStart?: number;
  claimEnd?: number;
  publish?: number;
  confirm?: number;
  received?: number;
  claimSize?: number;
}
const events = new Map<string, EventTimes>();
const notifications: number[] = [];
const samples: { at: number; loopMaxMs: number; poolWaiting: number; poolTotal: number }[] = [];
const gcs: { at: number; ms: number; kind: number }[] = [];
const dbSamples: { at: number; vacuum: string; checkpointsReq: number; checkpointsTimed: number; buffersCheckpoint: number; walBytes: string }[] = [];

/** Times the relay's claims (the statements with SKIP LOCKED) and hands each claimed row its times. */
const claimStats = { fromStart: [] as number[], afterFloor: [] as number[] };
const claimTimer: KyselyPlugin = (() => {
  const started = new WeakMap<object, number>();
  const claims = new WeakMap<object, boolean>();
  return {
    transformQuery(args) {
      const text = JSON.stringify(args.node).toLowerCase();
      if (text.includes('skip locked')) {
        claims.set(args.queryId, text.includes('and o.seq >'));
        started.set(args.queryId, now());
      }
      return args.node;
    },
    async transformResult(args) {
      if (claims.has(args.queryId)) {
        const end = now();
        (claims.get(args.queryId) ? claimStats.afterFloor : claimStats.fromStart).push(end - started.get(args.queryId)!);
        for (const row of args.result.rows as { message_id?: string }[]) {
          const e = row.message_id === undefined ? undefined : events.get(row.message_id);
          if (e) {
            e.claimStart = started.get(args.queryId);
            e.claimEnd = end;
            e.claimSize = args.result.rows.length;
          }
        }
      }
      return args.result;
    },
  };
})();

function timedTransport(inner: Transport): Transport {
  return new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'publish')
        return (message: { messageId: string }) => {
          const e = events.get(message.messageId);
          if (e) e.publish = now();
          return (target.publish as (m: unknown) => Promise<void>)(message).then(() => {
            if (e) e.confirm = now();
          });
        };
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function timedNotifications(inner: NotificationSource): NotificationSource {
  return { listen: (channel, onNotify) => inner.listen(channel, () => (notifications.push(now()), onNotify())) };
}

const pool = handlePoolErrors(new pg.Pool({ connectionString: DATABASE_URL, max: 20 }));
const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }), plugins: [claimTimer] });
// PROBE_RELAY_POOL=own: the latency relay gets a pool of its own (the producers' transactions then cannot queue ahead of its lanes).
const relayPool = process.env.PROBE_RELAY_POOL === 'own' ? handlePoolErrors(new pg.Pool({ connectionString: DATABASE_URL, max: 6 })) : pool;
const relayDb = relayPool === pool ? db : new Kysely<any>({ dialect: new PostgresDialect({ pool: relayPool }), plugins: [claimTimer] });
const monitor = new pg.Client({ connectionString: DATABASE_URL });
await monitor.connect();
const tag = randomBytes(3).toString('hex');
const schema = `probe_outbox_${tag}`;
const leanSchema = `probe_lean_${tag}`;
await migrate(db, { schema });
await migrate(db, { schema: leanSchema });
const broker = await openOutboxBroker(AMQP_URL, `probe-outbox-${tag}`);
const { conn, admin, topic, queue } = broker;
const amqpTransport = new AmqpTransport({ url: AMQP_URL });
await amqpTransport.start();
const transport = timedTransport(amqpTransport);
const raw = await conn.createConfirmChannel();

const churnStarted = now();
// PROBE_CHURN_FAST=1: the same dead rows without relaying them (insert, then one delete per round).
for (let round = 0; round < CHURN && process.env.PROBE_CHURN_FAST === '1'; round++) {
  await fillOutbox(db, schema, topic, N);
  await sql`delete from ${sql.id(schema, 'outbox')}`.execute(db);
  await fillOutbox(db, leanSchema, topic, N);
  await sql`delete from ${sql.id(leanSchema, 'outbox')}`.execute(db);
}
for (let round = 0; round < CHURN && process.env.PROBE_CHURN_FAST !== '1'; round++) {
  const [batch, concurrency] = round < CHURN / 2 ? [100, 16] : [1000, 4];
  await fillOutbox(db, schema, topic, N);
  const relay = createOutboxRelay({ db, transport: amqpTransport, schema, batchSize: batch, concurrency, listen: pgNotifications(pool) });
  await relay.start();
  while (relay.stats().published < N) await sleep(2);
  await relay.stop();
  await admin.purgeQueue(queue);
  await fillOutbox(db, leanSchema, topic, N);
  await leanRelay(pool, leanSchema, raw, batch, concurrency, N);
  await admin.purgeQueue(queue);
}
process.stdout.write(`churn: ${CHURN} rounds of ${N} rows in ${((now() - churnStarted) / 1000).toFixed(1)} s\n`);
if (WAIT_MS > 0) await sleep(WAIT_MS);
if (process.env.PROBE_VACUUM === '1') {
  const t = now();
  await sql`vacuum ${sql.id(schema, 'outbox')}`.execute(db);
  process.stdout.write(`vacuum: ${(now() - t).toFixed(0)} ms\n`);
}

const consumer = await conn.createChannel();
await consumer.consume(
  queue,
  (m) => {
    const e = m ? events.get(m.properties.messageId as string) : undefined;
    if (e) e.received = now();
  },
  { noAck: true },
);

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries())
    gcs.push({ at: entry.startTime, ms: entry.duration, kind: (entry as unknown as { detail?: { kind: number } }).detail?.kind ?? -1 });
}).observe({ entryTypes: ['gc'] });
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    loop.reset();
    await sleep(10);
    samples.push({ at: now(), loopMaxMs: loop.max / 1e6, poolWaiting: pool.waitingCount, poolTotal: pool.totalCount });
  }
})();
const dbSampler = (async () => {
  while (sampling) {
    const r = await monitor.query<{ vacuum: string; req: string; timed: string; buf: string; wal: string }>(
      `select coalesce((select string_agg(c.relname || ':' || p.phase || ':' || p.heap_blks_scanned || '/' || p.heap_blks_total, ',') from pg_stat_progress_vacuum p join pg_class c on c.oid = p.relid), '') as vacuum,
        checkpoints_req::text as req, checkpoints_timed::text as timed, buffers_checkpoint::text as buf, pg_current_wal_lsn()::text as wal from pg_stat_bgwriter`,
    );
    const s = r.rows[0]!;
    dbSamples.push({
      at: now(),
      vacuum: s.vacuum,
      checkpointsReq: Number(s.req),
      checkpointsTimed: Number(s.timed),
      buffersCheckpoint: Number(s.buf),
      walBytes: s.wal,
    });
    await sleep(100);
  }
})();

for (let run = 0; run < RUNS; run++) {
  events.clear();
  notifications.length = 0;
  claimStats.fromStart.length = 0;
  claimStats.afterFloor.length = 0;
  const relay = createOutboxRelay({ db: relayDb, transport, schema, batchSize: 100, concurrency: 4, listen: timedNotifications(pgNotifications(relayPool)) });
  await relay.start();
  if (process.env.PROBE_NO_WARM_UP !== '1') await warmUpAtRate(db, schema, topic, RATE);
  const dead = await monitor.query<{ n_dead_tup: string; last_autovacuum: Date | null }>(
    `select n_dead_tup, last_autovacuum from pg_stat_user_tables where schemaname = $1 and relname = 'outbox'`,
    [schema],
  );
  const runStart = now();
  await produceAtRate(
    db,
    schema,
    topic,
    { rate: RATE, seconds: SECONDS },
    {
      inserting: (id) => void events.set(id, { insert: now() }),
      committed: (id) => void (events.get(id)!.commit = now()),
      delivered: () => [...events.values()].every((e) => e.received !== undefined),
    },
  );
  await relay.stop();
  report(run, runStart, dead.rows[0]);
}
sampling = false;
await Promise.all([sampler, dbSampler]);
loop.disable();

function report(run: number, runStart: number, dead: { n_dead_tup: string; last_autovacuum: Date | null } | undefined): void {
  const all = [...events.values()].filter((e) => e.commit !== undefined && e.received !== undefined);
  const total = (e: EventTimes) => e.received! - e.commit!;
  const sorted = all.map(total).sort((a, b) => a - b);
  const p = (xs: number[], q: number) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      q,
    ).toFixed(1);
  const stage = (name: string, f: (e: EventTimes) => number | undefined, set: EventTimes[]) => {
    const xs = set.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
    return `${name} p50 ${p(xs, 50)} p99 ${p(xs, 99)} max ${p(xs, 100)}`;
  };
  const stages = (set: EventTimes[]) =>
    [
      stage('insert->commit', (e) => e.commit! - e.insert, set),
      stage('commit->claimStart', (e) => (e.claimStart ?? NaN) - e.commit!, set),
      stage('claim', (e) => (e.claimEnd ?? NaN) - (e.claimStart ?? NaN), set),
      stage('claimEnd->publish', (e) => (e.publish ?? NaN) - (e.claimEnd ?? NaN), set),
      stage('publish->received', (e) => e.received! - (e.publish ?? NaN), set),
      stage('publish->confirm', (e) => (e.confirm ?? NaN) - (e.publish ?? NaN), set),
    ].join('\n    ');
  process.stdout.write(
    `\nrun ${run}: ${all.length}/${events.size} events, dead tuples at start ${dead?.n_dead_tup} (last autovacuum ${dead?.last_autovacuum?.toISOString() ?? 'never'}), notifications ${notifications.length}\n` +
      `  commit->received p50 ${percentile(sorted, 50).toFixed(1)} p99 ${percentile(sorted, 99).toFixed(1)} max ${percentile(sorted, 100).toFixed(1)} ms\n` +
      `  claims from the start ${claimStats.fromStart.length} (p50 ${p(claimStats.fromStart, 50)} p99 ${p(claimStats.fromStart, 99)} ms), after the floor ${claimStats.afterFloor.length} (p50 ${p(claimStats.afterFloor, 50)} p99 ${p(claimStats.afterFloor, 99)} ms)\n` +
      `  all events:\n    ${stages(all)}\n`,
  );
  const threshold = percentile(sorted, 99);
  const slow = all.filter((e) => total(e) >= threshold && total(e) > 20);
  if (slow.length === 0) return;
  process.stdout.write(`  slow events (>= p99 and > 20 ms): ${slow.length}\n    ${stages(slow)}\n`);
  const near = (at: number) => {
    const s = samples.filter((x) => x.at >= at - 200 && x.at <= at + 200);
    const g = gcs.filter((x) => x.at >= at - 200 && x.at <= at + 200);
    const d = dbSamples.filter((x) => x.at >= at - 300 && x.at <= at + 300);
    return `loop max ${Math.max(0, ...s.map((x) => x.loopMaxMs)).toFixed(1)} ms, pool waiting max ${Math.max(0, ...s.map((x) => x.poolWaiting))}, gc ${g.map((x) => `${x.kind}:${x.ms.toFixed(1)}`).join(' ')}, vacuum [${[...new Set(d.map((x) => x.vacuum))].join('|')}], ckpt req ${d[0]?.checkpointsReq}->${d[d.length - 1]?.checkpointsReq} buffers ${d[0]?.buffersCheckpoint}->${d[d.length - 1]?.buffersCheckpoint}`;
  };
  for (const e of slow.sort((a, b) => a.commit! - b.commit!).slice(0, 12)) {
    const f = (x: number | undefined, from: number | undefined) => (x === undefined || from === undefined ? '?' : (x - from).toFixed(1));
    const notifyAfter = notifications.find((n) => n >= e.insert);
    process.stdout.write(
      `    t=${((e.commit! - runStart) / 1000).toFixed(3)}s total ${total(e).toFixed(1)}: insert->commit ${f(e.commit, e.insert)} notify(first after insert)-commit ${f(notifyAfter, e.commit)} commit->claim ${f(e.claimStart, e.commit)} claim ${f(e.claimEnd, e.claimStart)} (${e.claimSize}) ->publish ${f(e.publish, e.claimEnd)} ->recv ${f(e.received, e.publish)} ->confirm ${f(e.confirm, e.publish)} | ${near(e.commit!)}\n`,
    );
  }
}

await consumer.close();
await raw.close();
await amqpTransport.close();
await broker.close();
await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
await sql`drop schema if exists ${sql.id(leanSchema)} cascade`.execute(db);
await monitor.end();
if (relayDb !== db) await relayDb.destroy();
await db.destroy();
