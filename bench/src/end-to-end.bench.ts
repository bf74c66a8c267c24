// End to end on RabbitMQ (issue #24): `metro.publish` of 20,000 ~1 KiB events and a `metro.on`
// handler consuming them (zod schema, prefetch 500), against raw amqplib doing the same work: build
// the same JSON envelope, publish with confirms per 1,000, consume, JSON.parse, parse with the same
// zod schema, ack. ROUNDS alternated rounds: each side's figure is its median, the ratio the median of
// the pairs' own ratios (support/paired-ratio.ts). Besides messages per second, every row
// reports Node's CPU per message (process.cpuUsage, publish + consume in one process): it is
// steadier than throughput on a shared machine and is what a service pays per core.
// Each side runs in a process of its own (support/side-process.ts, support/e2e-side.ts), its rounds
// alternated with the other's by this one: in one process each side paid for the other's heap, JIT
// feedback and async hooks (see side-process.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { z } from 'zod';
import { createMetro, defineEvent } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import type { BenchResult } from './types.js';
import { withBusyCpus } from './support/busy-cpus.js';
import { pairedRatio, pairsText } from './support/paired-ratio.js';
import type { RunFigures } from './support/run-figures.js';
import { sideProcess, type SideProcess } from './support/side-process.js';
import { deleteExchanges } from './support/delete-exchanges.js';

const URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const TOTAL = Number(process.env['BENCH_E2E_MESSAGES'] ?? 20_000);
// 9 pairs, not 5: single pairs spread 0.9-1.2x on this machine, and a median of 5 moved a goal's verdict from run to run.
const ROUNDS = Number(process.env['BENCH_E2E_ROUNDS'] ?? 9);
const PREFETCH = 500;
const CONFIRM_BATCH = 1000;

const schema = z.object({ orderId: z.string(), customerId: z.string(), total: z.number(), currency: z.string().length(3), note: z.string() });
type Order = z.infer<typeof schema>;
const note = randomBytes(420).toString('hex'); // the envelope comes to about 1 KiB
const order = (i: number): Order => ({ orderId: `o-${i}`, customerId: `c-${i % 50}`, total: i * 1.5, currency: 'EUR', note });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One side of the comparison: `setup` once, then `round` publishes and consumes TOTAL messages. */
interface Side {
  round(publishOnly: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function metroSide(topic: string, sink: Sink): Promise<Side> {
  const OrderPlaced = defineEvent({ topic, type: 'placed', schema });
  const OrderNoted = defineEvent({ topic: sink.topic, type: 'placed', schema });
  const transport = new AmqpTransport({ url: URL });
  const metro = createMetro({ service: `${topic}-svc`, transport, concurrency: PREFETCH, prefetch: PREFETCH });
  let received = 0;
  let target = Infinity;
  let done: () => void = () => undefined;
  metro.on(OrderPlaced, (payload) => {
    if (payload.total >= 0 && ++received >= target) done();
  });
  await metro.start();
  const publishAll = async (event: typeof OrderPlaced): Promise<void> => {
    for (let sent = 0; sent < TOTAL; sent += CONFIRM_BATCH) {
      const batch: Promise<unknown>[] = [];
      for (let i = sent; i < sent + CONFIRM_BATCH; i++) batch.push(metro.publish(event, order(i)));
      await Promise.all(batch);
    }
  };
  return {
    async round(publishOnly) {
      if (publishOnly) {
        await publishAll(OrderNoted);
        await sink.purge();
        return;
      }
      received = 0;
      target = TOTAL;
      const all = new Promise<void>((resolve) => (done = resolve));
      await publishAll(OrderPlaced);
      await all;
    },
    async close() {
      // the service queue (and its .expired companion) are durable: delete them and the topic's exchange, as raw's close does its own
      await metro.stop({ closeTransport: false });
      await transport.deleteQueue(`${topic}-svc`);
      await transport.close();
      await deleteExchanges(URL, [topic]);
    },
  };
}

/** A topic exchange with one bound queue that publish-only rounds fill and then purge. */
interface Sink {
  readonly topic: string;
  purge(): Promise<void>;
  close(): Promise<void>;
}

export async function sinkOf(topic: string): Promise<Sink> {
  const connection = await amqp.connect(URL);
  const ch = await connection.createChannel();
  const queue = `${topic}-q`;
  await ch.assertExchange(topic, 'topic', { durable: true });
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
  await ch.bindQueue(queue, topic, '#');
  return {
    topic,
    purge: async () => void (await ch.purgeQueue(queue)),
    async close() {
      await ch.deleteQueue(queue).catch(() => undefined);
      await ch.deleteExchange(topic).catch(() => undefined);
      await connection.close();
    },
  };
}

export async function rawSide(topic: string, sink: Sink): Promise<Side> {
  const connection = await amqp.connect(URL);
  const consumeConnection = await amqp.connect(URL);
  const pub = await connection.createConfirmChannel();
  const exchange = `${topic}-raw`;
  const queue = `${topic}-raw-q`;
  await pub.assertExchange(exchange, 'topic', { durable: true });
  await pub.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
  await pub.bindQueue(queue, exchange, '#');
  const sub = await consumeConnection.createChannel();
  await sub.prefetch(PREFETCH);
  let received = 0;
  let target = Infinity;
  let done: () => void = () => undefined;
  await sub.consume(queue, (m) => {
    if (!m) return;
    const envelope = JSON.parse(m.content.toString('utf8')) as { data: unknown };
    const payload = schema.parse(envelope.data);
    sub.ack(m);
    if (payload.total >= 0 && ++received >= target) done();
  });
  const publishAll = async (target: string): Promise<void> => {
    for (let sent = 0; sent < TOTAL; sent += CONFIRM_BATCH) {
      for (let i = sent; i < sent + CONFIRM_BATCH; i++) {
        const id = randomUUID();
        const envelope = {
          specversion: '1.0',
          id,
          source: `${topic}-svc`,
          type: 'placed',
          time: new Date().toISOString(),
          topic,
          subject: 'placed',
          datacontenttype: 'application/json',
          data: schema.parse(order(i)),
        };
        pub.publish(target, 'placed', Buffer.from(JSON.stringify(envelope)), {
          persistent: true,
          messageId: id,
          contentType: 'application/cloudevents+json',
          mandatory: true,
        });
      }
      await pub.waitForConfirms();
    }
  };
  return {
    async round(publishOnly) {
      if (publishOnly) {
        await publishAll(sink.topic);
        await sink.purge();
        return;
      }
      received = 0;
      target = TOTAL;
      const all = new Promise<void>((resolve) => (done = resolve));
      await publishAll(exchange);
      await all;
    },
    async close() {
      await pub.deleteQueue(queue).catch(() => undefined);
      await pub.deleteExchange(exchange).catch(() => undefined);
      await connection.close();
      await consumeConnection.close();
    },
  };
}

async function alternate(
  metro: SideProcess<boolean>,
  raw: SideProcess<boolean>,
  publishOnly: boolean,
  rounds: number,
): Promise<{ metro: RunFigures[]; raw: RunFigures[] }> {
  const out = { metro: [] as RunFigures[], raw: [] as RunFigures[] };
  for (let r = 0; r < rounds; r++) {
    // who goes first alternates: a round pays for what the broker still does after the round before it
    const rawRound = async (): Promise<void> => void out.raw.push(await raw.round(publishOnly));
    const metroRound = async (): Promise<void> => void out.metro.push(await metro.round(publishOnly));
    for (const step of r % 2 === 0 ? [rawRound, metroRound] : [metroRound, rawRound]) await step();
  }
  return out;
}

function rows(label: string, figures: { metro: RunFigures[]; raw: RunFigures[] }, goals: { rate?: number; cpu?: number }): BenchResult[] {
  const mRate = median(figures.metro.map((f) => f.rate));
  const rRate = median(figures.raw.map((f) => f.rate));
  const mCpu = median(figures.metro.map((f) => f.cpuMicrosPerMessage));
  const rCpu = median(figures.raw.map((f) => f.cpuMicrosPerMessage));
  const rate = pairedRatio(
    figures.metro.map((f) => f.rate),
    figures.raw.map((f) => f.rate),
    true,
  );
  const cpu = pairedRatio(
    figures.metro.map((f) => f.cpuMicrosPerMessage),
    figures.raw.map((f) => f.cpuMicrosPerMessage),
    false,
  );
  const rounds = `medians of ${figures.metro.length} alternated rounds; metro ${figures.metro.map((f) => Math.round(f.rate)).join('/')} msg/s, raw ${figures.raw.map((f) => Math.round(f.rate)).join('/')} msg/s`;
  const out: BenchResult[] = [
    {
      name: `${label}: throughput`,
      metro: Math.round(mRate),
      baseline: Math.round(rRate),
      unit: 'msg/s',
      baselineName: 'raw amqplib, same envelope and zod schema',
      ratio: rate.ratio,
      ...(goals.rate !== undefined ? { goal: `>= ${goals.rate}x raw`, met: rate.ratio >= goals.rate } : {}),
      notes: `${TOTAL} x ~1 KiB, confirms per ${CONFIRM_BATCH}, prefetch ${PREFETCH}; ${rounds}; ratio: the median of the rounds' pairs, ${pairsText(rate)} (the medians' ratio ${(mRate / rRate).toFixed(2)}x)`,
    },
    {
      name: `${label}: Node CPU per message`,
      metro: Number(mCpu.toFixed(1)),
      baseline: Number(rCpu.toFixed(1)),
      unit: 'us/msg',
      baselineName: 'raw amqplib, same work',
      higherIsBetter: false,
      ratio: cpu.ratio,
      ...(goals.cpu !== undefined ? { goal: `<= ${goals.cpu}x raw`, met: 1 / cpu.ratio <= goals.cpu } : {}),
      notes: `process.cpuUsage (user + system) over the run / messages; metro ${figures.metro.map((f) => f.cpuMicrosPerMessage.toFixed(0)).join('/')}, raw ${figures.raw.map((f) => f.cpuMicrosPerMessage.toFixed(0)).join('/')}; ratio (raw / metro): the median of the rounds' pairs, ${pairsText(cpu)} (the medians' ratio ${(rCpu / mCpu).toFixed(2)}x)`,
    },
  ];
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const topic = `bench-e2e-${randomBytes(4).toString('hex')}`;
  const side = fileURLToPath(new globalThis.URL('./support/e2e-side.ts', import.meta.url));
  const [metro, raw] = await Promise.all([sideProcess<boolean>(side, ['metro', topic]), sideProcess<boolean>(side, ['raw', topic])]);
  try {
    await alternate(metro, raw, false, 1); // warm-up, both kinds of round
    await alternate(metro, raw, true, 1);
    const quiet = await alternate(metro, raw, false, ROUNDS);
    const busy = await withBusyCpus(() => alternate(metro, raw, false, ROUNDS));
    const publishOnly = await alternate(metro, raw, true, ROUNDS);
    return [
      ...rows('end to end, quiet machine', quiet, { rate: 1.0, cpu: 1.2 }),
      ...rows('end to end, CPUs kept busy by other processes', busy, { rate: 0.95 }),
      ...rows('metro.publish vs raw building and encoding the same envelope', publishOnly, { rate: 0.95 }),
    ];
  } finally {
    await Promise.all([metro.close(), raw.close()]);
  }
}
