// Sagas on real PostgreSQL + RabbitMQ: @metro/saga against a hand-written handler doing the same work
// in one transaction (the inbox record, read the row FOR UPDATE or create it, update it with a version
// check, write one outbox row), each on its own bus, queue, pool (same size) and concurrency.
// The bench machine is shared (2 cores, other suites running: load averages of 12-20 were seen), and
// back-to-back rounds of the same code varied 2x, so the two sides run AT ONCE on the same message
// stream (each publish reaches both queues): outside load hits both alike, and each side's rate is
// counted over the window in which both were committing.
//   1. Transitions per second: 400 sagas x 5 messages (published step by step, so the messages in
//      flight belong to different sagas), median of 5 rounds. Goal >= 0.8x.
//   2. Node CPU per transition, each side alone (alternated), the figure least moved by outside load.
//   3. Message-to-commit latency p50 / p99 at 25 messages/s for 8 s (both sides at once): from the
//      publish (a timestamp in the payload) to the handler's return after its transaction committed.
import { randomBytes } from 'node:crypto';
import { createMetro, defineCommand, defineEvent, silentLogger, type Handler, type HandlerContext, type Metro } from '@metro/core';
import { createInbox, createOutbox, migrate } from '@metro/outbox-pg';
import { createSagaRuntime, defineSaga, migrateSagas, type SagaBus } from '@metro/saga';
import { migrateScheduler } from '@metro/scheduler';
import { AmqpTransport } from '@metro/transport-amqp';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { z } from 'zod';
import type { BenchResult } from './types.js';
import { measureRun, type RunFigures } from './support/run-figures.js';
import { deleteExchanges } from './support/delete-exchanges.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const SAGAS = Number(process.env.SAGA_BENCH_SAGAS ?? 400);
const STEPS = 5;
const ROUNDS = 5;
const CONCURRENCY = 16;
// Low enough that the sides together (2 x 25 transitions/s) stay below what the loaded bench machine commits: latency, not queueing.
const LATENCY_RATE = 25;
const LATENCY_SECONDS = 8;
const suffix = randomBytes(4).toString('hex');
const topic = `bench_saga_${suffix}`;
const schema = `bench_saga_${suffix}`;

const Step = defineEvent({ topic, type: 'step', schema: z.object({ key: z.string(), n: z.number().int(), sentAt: z.number() }) });
const Shipped = defineCommand({ service: `bench_saga_out_${suffix}`, type: 'shipped', schema: z.object({ key: z.string(), n: z.number().int() }) });
const State = z.object({ key: z.string(), steps: z.number().int() });

const saga = defineSaga({ name: 'bench', state: State }).startedBy(Step, { key: (m) => m.key }, async (m, state, ctx) => {
  await ctx.send(Shipped, { key: m.key, n: m.n });
  return { key: m.key, steps: (state?.steps ?? 0) + 1 };
});

type Db = Kysely<any>;
type Side = 'saga' | 'hand-written';

/** Commit times (ms since epoch) and message-to-commit latencies of one run. */
interface Timings {
  commits: number[];
  latencies: number[];
  /** Node CPU of the whole run (publishing included, the same on both sides) per message. */
  cpuMicrosPerMessage?: number;
}

/** A bus whose handlers are wrapped to time each message from its publish to the handler's return (after commit). */
function timedBus(metro: Metro<any>, timings: Timings): SagaBus<any> {
  const wrap =
    (handler: Handler<unknown, any>) =>
    async (payload: unknown, ctx: HandlerContext<any>): Promise<void> => {
      await handler(payload, ctx);
      const now = Date.now();
      timings.commits.push(now);
      timings.latencies.push(now - (payload as { sentAt: number }).sentAt);
    };
  return {
    service: metro.service,
    on: ((definition: never, handler: Handler<unknown, any>, options: never) => metro.on(definition, wrap(handler), options)) as Metro<any>['on'],
    handle: ((definition: never, handler: Handler<unknown, any>, options: never) => metro.handle(definition, wrap(handler), options)) as Metro<any>['handle'],
  };
}

/** The hand-written handler: the same transaction a saga transition runs, with nothing general about it. */
function handWritten(db: Db) {
  const outbox = createOutbox({ db, schema, source: 'bench' });
  const table = sql.id(schema, 'hand_sagas');
  return async (m: { key: string; n: number }, trx: Transaction<any>): Promise<void> => {
    const inserted = await sql<{ state: { steps: number }; version: number }>`
      INSERT INTO ${table} (key, state, version) VALUES (${m.key}, NULL, 0) ON CONFLICT (key) DO NOTHING RETURNING state, version`.execute(trx);
    const row =
      inserted.rows[0] ??
      (await sql<{ state: { steps: number }; version: number }>`SELECT state, version FROM ${table} WHERE key = ${m.key} FOR UPDATE`.execute(trx)).rows[0]!;
    await outbox.send(trx, Shipped, { key: m.key, n: m.n });
    const state = { key: m.key, steps: (row.state?.steps ?? 0) + 1 };
    const updated = await sql`UPDATE ${table} SET state = ${JSON.stringify(state)}::jsonb, version = version + 1, updated_at = now()
      WHERE key = ${m.key} AND version = ${row.version}`.execute(trx);
    if (Number(updated.numAffectedRows) !== 1) throw new Error('version conflict');
  };
}

/** One bus of one side: its own queue on the topic, its own inbox consumer, timed handlers. */
async function startSide(db: Db, side: Side, timings: Timings): Promise<{ metro: Metro<any>; transport: AmqpTransport; queue: string }> {
  const queue = `bench_saga_${side === 'saga' ? 's' : 'h'}_${randomBytes(3).toString('hex')}`;
  const transport = new AmqpTransport({ url: AMQP_URL });
  const inbox = createInbox({ db, schema, pruneInterval: false });
  const metro = createMetro<Transaction<any>>({ service: queue, transport, inbox, logger: silentLogger, concurrency: CONCURRENCY });
  const bus = timedBus(metro, timings);
  if (side === 'saga') {
    createSagaRuntime({ metro: bus, db, schema, inbox, logger: silentLogger, pruneInterval: false }).register(saga);
  } else {
    const apply = handWritten(db);
    bus.on(
      Step,
      ((m: { key: string; n: number }, ctx: HandlerContext<Transaction<any>>) => apply(m, ctx.trx!)) as never,
      { inbox: true, name: 'hand' } as never,
    );
  }
  await metro.start();
  return { metro, transport, queue };
}

/**
 * Runs the given sides at once on the same message stream: each publish to the topic reaches every
 * side's queue, so outside load (the bench machine is shared) hits both alike. `pace`: messages per
 * second, or as fast as the broker confirms.
 */
async function runSides(
  dbs: Record<Side, Db>,
  sides: Side[],
  messages: Array<{ key: string; n: number }>,
  pace: number | undefined,
): Promise<Record<Side, Timings>> {
  const timings = { saga: { commits: [], latencies: [] }, 'hand-written': { commits: [], latencies: [] } } as Record<Side, Timings>;
  const buses = await Promise.all(sides.map((side) => startSide(dbs[side], side, timings[side])));
  const publisher = createMetro({ service: `bench_saga_pub_${suffix}`, transport: new AmqpTransport({ url: AMQP_URL }), logger: silentLogger });
  const publishAndWait = async (): Promise<void> => {
    const started = Date.now();
    const pending: Array<Promise<unknown>> = [];
    for (let i = 0; i < messages.length; i++) {
      const due = pace === undefined ? 0 : started + (i * 1000) / pace;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      pending.push(publisher.publish(Step, { ...messages[i]!, sentAt: Date.now() }));
      if (pending.length >= 500) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const deadline = Date.now() + 300_000;
    while (sides.some((side) => timings[side].commits.length < messages.length)) {
      if (Date.now() > deadline)
        throw new Error(`not every message committed after 300 s: ${sides.map((x) => `${x} ${timings[x].commits.length}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    const figures: RunFigures = await measureRun(messages.length * sides.length, publishAndWait);
    for (const side of sides) timings[side].cpuMicrosPerMessage = figures.cpuMicrosPerMessage;
  } finally {
    for (const { metro, transport, queue } of buses) {
      await metro.stop({ closeTransport: false });
      const channel = await transport.connectionsForTesting().publish!.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.deleteQueue(`${queue}.expired`).catch(() => undefined);
      await channel.close().catch(() => undefined);
      await transport.close();
    }
    await publisher.stop();
  }
  return timings;
}

/** Commits per second of each side while both were committing (from the later first commit to the earlier last one). */
function sharedWindowRates(a: Timings, b: Timings): [number, number] {
  const from = Math.max(Math.min(...a.commits), Math.min(...b.commits));
  const to = Math.min(Math.max(...a.commits), Math.max(...b.commits));
  const inWindow = (t: Timings) => t.commits.filter((c) => c >= from && c <= to).length;
  const seconds = Math.max(0.001, (to - from) / 1000);
  return [inWindow(a) / seconds, inWindow(b) / seconds];
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Step-major messages of `count` fresh sagas: every saga's step 0, then every saga's step 1, ... */
function workload(count: number, steps: number): Array<{ key: string; n: number }> {
  const run = randomBytes(3).toString('hex');
  return Array.from({ length: steps }, (_, n) => Array.from({ length: count }, (_, s) => ({ key: `${run}-${s}`, n }))).flat();
}

export async function run(): Promise<BenchResult[]> {
  // One pool per side, the same size: the sides run at once and must not wait on each other's connections.
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: CONCURRENCY + 4 });
  const handPool = new pg.Pool({ connectionString: DATABASE_URL, max: CONCURRENCY + 4 });
  pool.on('error', () => {});
  handPool.on('error', () => {});
  const db: Db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  const handDb: Db = new Kysely<any>({ dialect: new PostgresDialect({ pool: handPool }) });
  try {
    await migrate(db, { schema });
    await migrateScheduler(db, { schema });
    await migrateSagas(db, { schema });
    await sql`CREATE TABLE ${sql.id(schema, 'hand_sagas')} (key text PRIMARY KEY, state jsonb, version integer NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`.execute(
      db,
    );
    const dbs: Record<Side, Db> = { saga: db, 'hand-written': handDb };
    await runSides(dbs, ['saga', 'hand-written'], workload(50, 2), undefined); // warm-up: connections, plans
    const rates: Record<Side, number[]> = { saga: [], 'hand-written': [] };
    for (let round = 0; round < ROUNDS; round++) {
      const both = await runSides(dbs, ['saga', 'hand-written'], workload(SAGAS, STEPS), undefined);
      const [sagaShare, handShare] = sharedWindowRates(both.saga, both['hand-written']);
      rates.saga.push(sagaShare);
      rates['hand-written'].push(handShare);
    }
    // Node CPU per transition, each side alone (one process: the runs cannot overlap for this figure).
    const cpu: Record<Side, number[]> = { saga: [], 'hand-written': [] };
    for (const side of ['hand-written', 'saga', 'hand-written', 'saga'] as Side[]) {
      cpu[side].push((await runSides(dbs, [side], workload(SAGAS / 2, 2), undefined))[side].cpuMicrosPerMessage ?? NaN);
    }
    const latency = await runSides(dbs, ['saga', 'hand-written'], workload(LATENCY_RATE * LATENCY_SECONDS, 1), LATENCY_RATE);
    const sagaLatency = latency.saga;
    const hand = latency['hand-written'];
    const sagaRate = median(rates.saga);
    const handRate = median(rates['hand-written']);
    console.log(`saga rounds ${rates.saga.map(Math.round).join('/')}, hand-written ${rates['hand-written'].map(Math.round).join('/')} transitions/s`);
    const settings = `${SAGAS} sagas x ${STEPS} messages, step-major; both sides at once on one message stream (a bus, queue and pool of ${CONCURRENCY + 4} each, concurrency ${CONCURRENCY}), rates over the window both were committing; median of ${ROUNDS} rounds`;
    return [
      {
        name: 'saga transitions per second',
        metro: sagaRate,
        baseline: handRate,
        unit: 'transitions/s',
        baselineName: 'hand-written inbox handler: row FOR UPDATE, versioned UPDATE, outbox row, one transaction',
        goal: '>= 0.8x hand-written',
        met: sagaRate / handRate >= 0.8,
        notes: `${settings}; rounds saga ${rates.saga.map(Math.round).join('/')}, hand-written ${rates['hand-written'].map(Math.round).join('/')}`,
      },
      {
        name: 'Node CPU per transition',
        metro: median(cpu.saga),
        baseline: median(cpu['hand-written']),
        unit: 'µs',
        baselineName: 'hand-written inbox handler',
        higherIsBetter: false,
        notes: `process CPU (user + system) / messages over a run of ${SAGAS / 2} sagas x 2 messages with that side alone, publishing included on both sides; median of 2 alternated runs each (${cpu.saga.map(Math.round).join('/')} vs ${cpu['hand-written'].map(Math.round).join('/')})`,
      },
      {
        name: 'message-to-commit latency p50',
        metro: quantile(sagaLatency.latencies, 0.5),
        baseline: quantile(hand.latencies, 0.5),
        unit: 'ms',
        baselineName: 'hand-written inbox handler',
        higherIsBetter: false,
        notes: `${LATENCY_RATE} messages/s for ${LATENCY_SECONDS} s, one per saga, both sides at once; publish (timestamp in the payload) to the handler's return after COMMIT`,
      },
      {
        name: 'message-to-commit latency p99',
        metro: quantile(sagaLatency.latencies, 0.99),
        baseline: quantile(hand.latencies, 0.99),
        unit: 'ms',
        baselineName: 'hand-written inbox handler',
        higherIsBetter: false,
        notes: `as p50; max saga ${Math.max(...sagaLatency.latencies)} ms, hand-written ${Math.max(...hand.latencies)} ms`,
      },
    ];
  } finally {
    await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(db).catch(() => {});
    await deleteExchanges(AMQP_URL, [topic]).catch(() => undefined);
    await db.destroy();
    await handDb.destroy();
  }
}
