// Batch consume (issue #24): RabbitMQ + PostgreSQL. TOTAL order events (INBOX_TOTAL for the inbox pair) (zod schema, ~200 B) wait in
// the service queue; a bus starts and handles them all, each message written as one row of an
// `orders` table. Metro's `onBatch` (up to MAX_SIZE messages per call, one multi-row INSERT per
// batch) against `metro.on` (one INSERT per message, autocommit), with the same bus settings
// (concurrency, prefetch), the same pg pool and the same rows. A second pair does it inside the
// inbox (`inbox: true`): one transaction per batch against one per message. Alternated rounds,
// median of ROUNDS; msg/s (wall clock, bus start to the last row) and this process's CPU per message
// (process.cpuUsage; PostgreSQL's and RabbitMQ's own CPU are not in it).
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { z } from 'zod';
import amqp from 'amqplib';
import { createMetro, defineEvent, silentLogger, type BatchItem, type EventDefinition, type Inbox, type Metro } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { createInbox, handlePoolErrors, migrate } from '@metro/outbox-pg';
import type { BenchResult } from './types.js';
import { measureRun, type RunFigures } from './support/run-figures.js';

const AMQP_URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOTAL = Number(process.env['BENCH_BATCH_MESSAGES'] ?? 20_000);
// A transaction per message (the inbox pair's baseline) runs a few hundred per second on a 2-core machine: fewer messages keep the module short.
const INBOX_TOTAL = Number(process.env['BENCH_BATCH_INBOX_MESSAGES'] ?? 5_000);
const ROUNDS = Number(process.env['BENCH_BATCH_ROUNDS'] ?? 3);
const CONCURRENCY = 200;
const PREFETCH = 400;
const MAX_SIZE = 100;
const MAX_WAIT = '20ms';
const POOL_SIZE = 10;
const PUBLISH_CHUNK = 1000;

const schema = z.object({ orderId: z.string(), customerId: z.string(), total: z.number() });
type Order = z.infer<typeof schema>;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The database side: a pool, a kysely over it, and a schema with `orders` and the inbox. */
interface Database {
  readonly pool: pg.Pool;
  readonly db: Kysely<any>;
  readonly schema: string;
  readonly inbox: Inbox;
  readonly orders: ReturnType<typeof sql.id>;
}

async function openDatabase(label: string): Promise<Database> {
  const pool = handlePoolErrors(new pg.Pool({ connectionString: DATABASE_URL, max: POOL_SIZE }));
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  const dbSchema = `bench_${label.replace(/-/g, '_')}`;
  await migrate(db, { schema: dbSchema });
  const orders = sql.id(dbSchema, 'orders');
  await sql`create table ${orders} (order_id text primary key, customer_id text not null, total numeric not null, message_id text not null)`.execute(db);
  return { pool, db, schema: dbSchema, inbox: createInbox({ db, schema: dbSchema, pruneInterval: false }), orders };
}

/** How one side writes: `metro.on` (a row per call) or `metro.onBatch` (a multi-row INSERT per call), with or without the inbox. */
type Mode = 'single' | 'batch';

function register(metro: Metro, Placed: EventDefinition<typeof schema>, d: Database, mode: Mode, inbox: boolean, onRows: (n: number) => void): void {
  const table = `${d.schema}.orders`;
  const insertOne = `insert into ${table} (order_id, customer_id, total, message_id) values ($1, $2, $3, $4)`;
  const insertMany = `insert into ${table} (order_id, customer_id, total, message_id) select * from unnest($1::text[], $2::text[], $3::numeric[], $4::text[])`;
  const columns = (batch: ReadonlyArray<BatchItem<Order>>) => [
    batch.map((i) => i.data.orderId),
    batch.map((i) => i.data.customerId),
    batch.map((i) => i.data.total),
    batch.map((i) => i.messageId),
  ];
  if (mode === 'single' && !inbox) {
    metro.on(Placed, async (o, ctx) => {
      await d.pool.query(insertOne, [o.orderId, o.customerId, o.total, ctx.messageId]);
      onRows(1);
    });
  } else if (mode === 'single') {
    metro.on(
      Placed,
      async (o, ctx) => {
        await sql`insert into ${d.orders} (order_id, customer_id, total, message_id) values (${o.orderId}, ${o.customerId}, ${o.total}, ${ctx.messageId})`.execute(
          ctx.trx as never,
        );
        onRows(1);
      },
      { inbox: true, name: 'orders' },
    );
  } else if (!inbox) {
    metro.onBatch(
      Placed,
      async (batch) => {
        await d.pool.query(insertMany, columns(batch));
        onRows(batch.length);
      },
      { maxSize: MAX_SIZE, maxWait: MAX_WAIT },
    );
  } else {
    metro.onBatch(
      Placed,
      async (batch, ctx) => {
        const [ids, customers, totals, messageIds] = columns(batch);
        await sql`insert into ${d.orders} (order_id, customer_id, total, message_id)
          select * from unnest(${ids}::text[], ${customers}::text[], ${totals}::numeric[], ${messageIds}::text[])`.execute(ctx.trx as never);
        onRows(batch.length);
      },
      { inbox: true, name: 'orders', maxSize: MAX_SIZE, maxWait: MAX_WAIT },
    );
  }
}

/** One measured round: `total` events wait in the queue, then a bus of `mode` starts and writes them all. */
async function round(ctx: { service: string; topic: string; producer: Metro; d: Database }, mode: Mode, inbox: boolean): Promise<RunFigures> {
  const { service, producer, d } = ctx;
  const Placed = defineEvent({ topic: ctx.topic, type: 'placed', schema });
  await sql`truncate ${d.orders}`.execute(d.db);
  await sql`truncate ${sql.id(d.schema, 'inbox')}`.execute(d.db);
  const total = inbox ? INBOX_TOTAL : TOTAL;
  for (let sent = 0; sent < total; sent += PUBLISH_CHUNK) {
    const chunk: Promise<unknown>[] = [];
    for (let i = sent; i < Math.min(total, sent + PUBLISH_CHUNK); i++)
      chunk.push(producer.publish(Placed, { orderId: `o-${i}`, customerId: `c-${i % 97}`, total: i * 1.5 }));
    await Promise.all(chunk);
  }
  const metro = createMetro({
    service,
    transport: new AmqpTransport({ url: AMQP_URL }),
    concurrency: CONCURRENCY,
    prefetch: PREFETCH,
    logger: silentLogger,
    ...(inbox ? { inbox: d.inbox } : {}),
  });
  let rows = 0;
  let allWritten: () => void = () => undefined;
  const written = new Promise<void>((resolve) => (allWritten = resolve));
  register(metro, Placed, d, mode, inbox, (n) => {
    rows += n;
    if (rows >= total) allWritten();
  });
  const figures = await measureRun(total, async () => {
    await metro.start();
    await written;
  });
  await metro.stop();
  const stored = (await sql<{ n: number }>`select count(*)::int as n from ${d.orders}`.execute(d.db)).rows[0]!.n;
  if (stored !== total) throw new Error(`${mode}${inbox ? ' + inbox' : ''}: ${stored} rows stored, expected ${total}`);
  return figures;
}

function results(label: string, total: number, baselineName: string, batch: RunFigures[], single: RunFigures[]): BenchResult[] {
  const bRate = median(batch.map((f) => f.rate));
  const sRate = median(single.map((f) => f.rate));
  const bCpu = median(batch.map((f) => f.cpuMicrosPerMessage));
  const sCpu = median(single.map((f) => f.cpuMicrosPerMessage));
  const settings = `${total} events, concurrency ${CONCURRENCY}, prefetch ${PREFETCH}, maxSize ${MAX_SIZE}, maxWait ${MAX_WAIT}, pg pool ${POOL_SIZE}`;
  return [
    {
      name: `${label}: throughput`,
      metro: Math.round(bRate),
      baseline: Math.round(sRate),
      unit: 'msg/s',
      baselineName,
      goal: '>= 2x',
      met: bRate >= 2 * sRate,
      notes: `${settings}; median of ${batch.length} alternated rounds; onBatch ${batch.map((f) => Math.round(f.rate)).join('/')}, on ${single.map((f) => Math.round(f.rate)).join('/')} msg/s`,
    },
    {
      name: `${label}: Node CPU per message`,
      metro: Number(bCpu.toFixed(1)),
      baseline: Number(sCpu.toFixed(1)),
      unit: 'us/msg',
      baselineName,
      higherIsBetter: false,
      notes: `process.cpuUsage (user + system) / messages; onBatch ${batch.map((f) => f.cpuMicrosPerMessage.toFixed(0)).join('/')}, on ${single.map((f) => f.cpuMicrosPerMessage.toFixed(0)).join('/')}`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const label = `bench-batch-${randomBytes(4).toString('hex')}`;
  const service = `${label}-svc`;
  const topic = `${label}-orders`;
  const d = await openDatabase(label);
  const producer = createMetro({ service: `${label}-producer`, transport: new AmqpTransport({ url: AMQP_URL }), logger: silentLogger });
  await producer.start();
  const ctx = { service, topic, producer, d };
  // The service queue and its binding, declared by a bus of that service (events published before would be unroutable).
  const declaring = createMetro({ service, transport: new AmqpTransport({ url: AMQP_URL }), logger: silentLogger });
  declaring.on(defineEvent({ topic, type: 'placed', schema }), () => undefined);
  await declaring.start();
  await declaring.stop();
  const figures = { single: [] as RunFigures[], batch: [] as RunFigures[], singleInbox: [] as RunFigures[], batchInbox: [] as RunFigures[] };
  try {
    await round(ctx, 'batch', false); // declares the queue and its binding; warm-up
    await round(ctx, 'single', false);
    for (let r = 0; r < ROUNDS; r++) {
      figures.single.push(await round(ctx, 'single', false));
      figures.batch.push(await round(ctx, 'batch', false));
      figures.singleInbox.push(await round(ctx, 'single', true));
      figures.batchInbox.push(await round(ctx, 'batch', true));
    }
  } finally {
    await producer.stop({ closeTransport: false });
    await producer.transport.deleteQueue(service).catch(() => undefined);
    await producer.transport.deleteQueue(`${label}-producer`).catch(() => undefined);
    await producer.transport.close();
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createChannel();
    await channel.deleteExchange(topic).catch(() => undefined);
    await connection.close();
    await sql`drop schema if exists ${sql.id(d.schema)} cascade`.execute(d.db);
    await d.db.destroy();
  }
  const out = [
    ...results(
      'batch consume, one row per message: onBatch (a multi-row INSERT per batch) vs metro.on (an INSERT per message)',
      TOTAL,
      'metro.on, one INSERT per message',
      figures.batch,
      figures.single,
    ),
    ...results(
      'batch consume with the inbox: onBatch inbox: true (a transaction per batch) vs metro.on inbox: true (a transaction per message)',
      INBOX_TOTAL,
      'metro.on inbox: true, one transaction per message',
      figures.batchInbox,
      figures.singleInbox,
    ),
  ];
  return out;
}
