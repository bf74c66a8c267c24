// Outbox relay benchmarks (real PostgreSQL + RabbitMQ), Metro's relay side by side with its baselines:
//  - throughput from committed rows to broker-confirmed, batch sizes 100 and 1,000, against raw
//    amqplib confirm-channel publishing of the same messages (the same bodies and properties: a
//    UUID message id, content type, timestamp, `mandatory`) with the relay's window of unconfirmed
//    messages (batch x lanes, each batch awaiting its confirms), so the ratio is what the database
//    side costs; the same raw loop with thin messages (a short message id, no timestamp, not
//    mandatory) shows what the message format alone costs the broker; a hand-written relay of the
//    same design (support/lean-relay.ts) and a naive polling relay (SELECT ... LIMIT, publish,
//    UPDATE, poll every 100 ms);
//  - commit-to-delivery latency p50 / p99 at 500 events/s (LISTEN/NOTIFY vs the naive poller), each
//    relay on a pool of its own, after the throughput rounds' dead rows are vacuumed and their WAL
//    checkpointed. Run alone, instrumented per event: support/outbox-latency-probe.ts.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { uuidv7 } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { createOutboxRelay, handlePoolErrors, migrate, pgNotifications } from '@metro/outbox-pg';
import type { BenchResult } from './types.js';
import { leanRelay } from './support/lean-relay.js';
import { openOutboxBroker } from './support/outbox-broker.js';
import { percentile, produceAtRate, warmUpAtRate } from './support/outbox-latency.js';
import { waitForQuietMachine } from './support/quiet-machine.js';
import { fillOutbox, OUTBOX_BODY } from './support/outbox-rows.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const N = Number(process.env.OUTBOX_BENCH_EVENTS ?? 40_000);
const RATE = 500; // events/s for the latency run
const LATENCY_SECONDS = 6;
// Alternated rounds per throughput figure; each side's median is kept. On the 2-core bench machines
// the same code measured up to 20% apart in back-to-back rounds, in spikes either way: the best of
// 3 let one side's spike decide the ratio (batch 100 went 0.75x-1.05x over 5 runs of the same
// code); the median of 5 rounds of 40,000 rows does not.
const ROUNDS = 5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type Db = Kysely<any>;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function pendingCount(db: Db, schema: string): Promise<number> {
  return (await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'outbox')} where status = 'pending'`.execute(db)).rows[0]!.n;
}

/** The naive relay: SELECT ... LIMIT, publish on a confirm channel, UPDATE, poll every 100 ms. */
function naiveRelay(db: Db, schema: string, channel: amqp.ConfirmChannel, batch: number) {
  let running = true;
  const outbox = sql.id(schema, 'outbox');
  const done = (async () => {
    while (running) {
      const rows = (
        await sql<{ seq: string; message_id: string; body: Buffer; destination: { topic: string; subject: string } }>`
        select seq, message_id, body, destination from ${outbox} where status = 'pending' order by seq limit ${batch}`.execute(db)
      ).rows;
      for (const r of rows)
        channel.publish(r.destination.topic, r.destination.subject, r.body, { persistent: true, messageId: r.message_id, contentType: 'application/json' });
      if (rows.length > 0) {
        await channel.waitForConfirms();
        await sql`update ${outbox} set status = 'sent', sent_at = now() where seq = any(cast(${`{${rows.map((r) => r.seq).join(',')}}`} as bigint[]))`.execute(
          db,
        );
      }
      if (rows.length < batch) await sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const pool = handlePoolErrors(new pg.Pool({ connectionString: DATABASE_URL, max: 20 }));
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  const tag = randomBytes(3).toString('hex');
  const schema = `bench_outbox_${tag}`;
  const naiveSchema = `bench_naive_${tag}`;
  const leanSchema = `bench_lean_${tag}`;
  await migrate(db, { schema });
  await migrate(db, { schema: naiveSchema });
  await migrate(db, { schema: leanSchema });
  const broker = await openOutboxBroker(AMQP_URL, `bench-outbox-${tag}`);
  const { conn, admin, topic, queue } = broker;
  const transport = new AmqpTransport({ url: AMQP_URL });
  await transport.start();
  const results: BenchResult[] = [];
  try {
    // Baseline: raw amqplib on a confirm channel with the relay's window: `lanes` loops, each
    // publishing `batch` messages and awaiting their confirms (a sliding window measured as fast
    // as, or faster than, awaiting confirms per 1,000). Measured right before each Metro run (same
    // machine conditions), not once for all. `same` publishes what the relay publishes for each
    // row: the same body, a UUID message id (the rows' ids are made beforehand, as the relay's come
    // from the table), the content type, a timestamp and `mandatory`. `thin` is the message most
    // amqplib benchmarks publish: a short message id and nothing else. On RabbitMQ 3.10 the thin
    // messages are about 20% cheaper for the broker, which is not the database side's cost.
    const raw = await conn.createConfirmChannel();
    const ids = Array.from({ length: N }, () => uuidv7());
    let t0 = performance.now();
    const rawRun = async (messages: 'same' | 'thin', batch: number, lanes: number): Promise<number> => {
      const started = performance.now();
      const timestamp = Math.floor(Date.now() / 1000);
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < N) {
          const from = next;
          next = Math.min(N, next + batch);
          const confirms: Promise<void>[] = [];
          for (let i = from; i < next; i++) {
            const options: amqp.Options.Publish =
              messages === 'same'
                ? { persistent: true, mandatory: true, messageId: ids[i], contentType: 'application/json', timestamp }
                : { persistent: true, messageId: String(i), contentType: 'application/json' };
            confirms.push(
              new Promise<void>((resolve, reject) => raw.publish(topic, 'evt', OUTBOX_BODY, options, (err) => (err ? reject(err as Error) : resolve()))),
            );
          }
          await Promise.all(confirms);
        }
      };
      await Promise.all(Array.from({ length: lanes }, lane));
      const rate = N / ((performance.now() - started) / 1000);
      await admin.purgeQueue(queue);
      return rate;
    };

    for (const batch of [100, 1000]) {
      // A relay's rate follows the rows it has in flight (batch x lanes), and so does raw amqplib's
      // with the same window: at least 1,000 for both.
      const concurrency = batch <= 100 ? 16 : 4;
      const metroRun = async (): Promise<number> => {
        await fillOutbox(db, schema, topic, N);
        const relay = createOutboxRelay({ db, transport, schema, batchSize: batch, concurrency, listen: pgNotifications(pool) });
        const started = performance.now();
        await relay.start();
        while (relay.stats().published < N) await sleep(2);
        const rate = N / ((performance.now() - started) / 1000);
        await relay.stop();
        await admin.purgeQueue(queue);
        return rate;
      };
      const leanRun = async (): Promise<number> => {
        await fillOutbox(db, leanSchema, topic, N);
        const started = performance.now();
        await leanRelay(pool, leanSchema, raw, batch, concurrency, N);
        const rate = N / ((performance.now() - started) / 1000);
        await admin.purgeQueue(queue);
        return rate;
      };
      // Alternated, median of ROUNDS each, so no side profits from the machine's mood (the two cores
      // are shared by RabbitMQ, PostgreSQL and this process).
      const rawRates: number[] = [];
      const thinRates: number[] = [];
      const metroRates: number[] = [];
      const leanRates: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        rawRates.push(await rawRun('same', batch, concurrency));
        metroRates.push(await metroRun());
        thinRates.push(await rawRun('thin', batch, concurrency));
        leanRates.push(await leanRun());
      }
      const rawRate = median(rawRates);
      const thinRate = median(thinRates);
      const metroRate = median(metroRates);
      const leanRate = median(leanRates);
      const perRound = metroRates.map((m, i) => (m / rawRates[i]!).toFixed(2)).join('/');
      const bestOf = (Math.max(...metroRates) / Math.max(...rawRates)).toFixed(2);
      // Naive polling relay.
      await fillOutbox(db, naiveSchema, topic, N);
      const naive = naiveRelay(db, naiveSchema, raw, batch);
      t0 = performance.now();
      while ((await pendingCount(db, naiveSchema)) > 0) await sleep(5);
      const naiveRate = N / ((performance.now() - t0) / 1000);
      await naive.stop();
      await admin.purgeQueue(queue);
      results.push({
        name: `outbox relay throughput, batch ${batch} (committed rows -> broker confirmed, ${N} events)`,
        metro: metroRate,
        baseline: rawRate,
        unit: 'msg/s',
        baselineName: 'raw amqplib confirm channel, the same messages, the same window',
        higherIsBetter: true,
        goal: '>= 0.8x raw amqplib (same messages and window)',
        met: metroRate >= 0.8 * rawRate,
        notes: `relay concurrency ${concurrency}; medians of ${ROUNDS} alternated rounds (raw ${rawRates.map(Math.round).join('/')}, metro ${metroRates.map(Math.round).join('/')}); metro/raw per round ${perRound}, best of each ${bestOf}x; naive polling relay: ${Math.round(naiveRate)} msg/s`,
      });
      results.push({
        name: `outbox relay throughput vs raw amqplib publishing thin messages, batch ${batch}`,
        metro: metroRate,
        baseline: thinRate,
        unit: 'msg/s',
        baselineName: 'raw amqplib confirm channel, thin messages (short id, no timestamp, not mandatory), the same window',
        higherIsBetter: true,
        notes: `the message format's own cost to the broker, not the database side's; raw same messages / thin: ${(rawRate / thinRate).toFixed(2)}x; thin ${thinRates.map(Math.round).join('/')}`,
      });
      results.push({
        name: `outbox relay throughput vs a hand-written relay of the same design, batch ${batch}`,
        metro: metroRate,
        baseline: leanRate,
        unit: 'msg/s',
        baselineName: 'hand-written relay (prepared claim, raw amqplib, no ordering/retries/counters)',
        higherIsBetter: true,
        notes: `bench/src/support/lean-relay.ts; ${leanRates.map(Math.round).join('/')}`,
      });
      results.push({
        name: `outbox relay throughput vs naive polling relay, batch ${batch}`,
        metro: metroRate,
        baseline: naiveRate,
        unit: 'msg/s',
        baselineName: 'naive polling relay (SELECT LIMIT, UPDATE, poll 100 ms)',
        higherIsBetter: true,
      });
    }

    // Commit-to-delivery latency at RATE events/s.
    const consumer = await conn.createChannel();
    const received = new Map<string, number>();
    await consumer.consume(
      queue,
      (m) => {
        if (m) received.set(m.properties.messageId as string, Date.now());
      },
      { noAck: true },
    );
    const measure = async (target: string): Promise<number[]> => {
      await warmUpAtRate(db, target, topic, RATE); // both relays measured in their steady state
      received.clear();
      const committed = new Map<string, number>();
      await produceAtRate(
        db,
        target,
        topic,
        { rate: RATE, seconds: LATENCY_SECONDS },
        { committed: (id) => void committed.set(id, Date.now()), delivered: (total) => received.size >= total },
      );
      return [...committed]
        .map(([id, at]) => (received.get(id) ?? NaN) - at)
        .filter(Number.isFinite)
        .sort((a, b) => a - b);
    };
    // Before measuring, the work the throughput rounds left behind is done, as run-all does between
    // modules: their 400,000 deleted rows per schema are vacuumed (otherwise every claim from the start
    // walks ~1,100 pages of dead index entries, 1-2 ms of PostgreSQL's CPU per claim, until autovacuum
    // runs, which it then does during the measurement), and their WAL is checkpointed. Then, as
    // between modules, the machine is left to go quiet: RabbitMQ deletes the purged rounds' persisted
    // messages in the background.
    for (const s of [schema, naiveSchema, leanSchema]) await sql`vacuum ${sql.id(s, 'outbox')}`.execute(db);
    await sql`checkpoint`.execute(db).catch(() => undefined); // needs a superuser; the bench's default user is one
    await waitForQuietMachine();
    // Each relay gets a pool of its own, as the README advises: its lanes take a connection per batch,
    // and on the producers' pool they would queue behind every producer transaction waiting there
    // (an open-loop producer at 500/s fills a 20-connection pool in 40 ms of slow commits).
    const relayPool = handlePoolErrors(new pg.Pool({ connectionString: DATABASE_URL, max: 6 }));
    const relayDb: Db = new Kysely({ dialect: new PostgresDialect({ pool: relayPool }) });
    let metroLat: number[];
    let naiveLatencies: number[];
    try {
      const relay = createOutboxRelay({ db: relayDb, transport, schema, batchSize: 100, concurrency: 4, listen: pgNotifications(relayPool) });
      await relay.start();
      metroLat = await measure(schema);
      await relay.stop();
      const naive = naiveRelay(relayDb, naiveSchema, raw, 100);
      naiveLatencies = await measure(naiveSchema);
      await naive.stop();
    } finally {
      await relayDb.destroy();
    }
    for (const p of [50, 99]) {
      const m = percentile(metroLat, p);
      const b = percentile(naiveLatencies, p);
      results.push({
        name: `commit-to-delivery latency p${p} at ${RATE} events/s`,
        metro: m,
        baseline: b,
        unit: 'ms',
        baselineName: 'naive polling relay (poll 100 ms)',
        higherIsBetter: false,
        // p99: issue #24's goal (<= 20 ms in every full run; it was < 50 ms).
        goal: p === 50 ? '< 10 ms' : '<= 20 ms',
        met: p === 50 ? m < 10 : m <= 20,
        notes: `${metroLat.length} / ${naiveLatencies.length} events measured; each relay on a pool of its own (the producers' has 20 connections), after a VACUUM of the tables the throughput rounds churned and a CHECKPOINT`,
      });
    }
    await consumer.close();
    await raw.close();
  } finally {
    await transport.close();
    await broker.close();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await sql`drop schema if exists ${sql.id(naiveSchema)} cascade`.execute(db);
    await sql`drop schema if exists ${sql.id(leanSchema)} cascade`.execute(db);
    await db.destroy();
  }
  for (const r of results)
    console.log(
      `${r.name}: metro ${r.metro.toFixed(1)} ${r.unit} | ${r.baselineName} ${r.baseline.toFixed(1)} | ratio ${(r.higherIsBetter === false ? r.baseline / r.metro : r.metro / r.baseline).toFixed(2)}x`,
    );
  return results;
}
