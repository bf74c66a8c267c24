// InMemoryTransport throughput: publish -> topic routing (`orders.*`) -> queue -> consumer
// (concurrency 16) -> ack, 1 KiB bodies, against a hand-written floor that does only the
// essentials the same way (copy the bytes, push to an array, hand over on setImmediate, ack by
// callback). And request/reply throughput (64 in flight) against a Map of pending promises.
// Each row has a twin with Node's CPU per message (process.cpuUsage over the timed part): steadier
// than a rate on a shared machine, and what a user's test suite pays per message. Rounds of 40,000
// (with 10,000 requests, a round was ~30 ms and three module runs in a row gave request/reply
// 0.96x, 0.96x and 0.76x; with 40,000, 1.28x, 1.00x and 1.18x), sides in alternating order.
import { InMemoryTransport, type OutgoingMessage } from '@metro/core';
import type { BenchResult } from './types.js';
import { measureRun, type RunFigures } from './support/run-figures.js';

const N = 40_000;
const BODY = new Uint8Array(1024).fill(7);

function outgoing(i: number): OutgoingMessage {
  return {
    destination: { kind: 'topic', topic: 'orders', subject: 'orders.placed' },
    body: BODY,
    messageId: `m${i}`,
    contentType: 'application/json',
    headers: { 'metro-attempt': 1 },
  };
}

export async function metroPubSub(): Promise<RunFigures> {
  const t = new InMemoryTransport();
  await t.declareQueue({ queue: 'billing', bindings: [{ topic: 'orders', pattern: 'orders.*' }] });
  let acked = 0;
  await t.consume(
    'billing',
    async (d) => {
      await d.ack();
      acked++;
    },
    { concurrency: 16 },
  );
  const figures = await measureRun(N, async () => {
    for (let i = 0; i < N; i++) await t.publish(outgoing(i));
    await t.whenIdle();
  });
  await t.close();
  if (acked !== N) throw new Error(`metro: expected ${N} acks, got ${acked}`);
  return figures;
}

export async function baselinePubSub(): Promise<RunFigures> {
  const ready: Uint8Array[] = [];
  let head = 0;
  let acked = 0;
  let inFlight = 0;
  let scheduled = false;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const handle = async (body: Uint8Array, ack: () => void): Promise<void> => {
    if (body.length > 0) ack();
  };
  const drain = (): void => {
    scheduled = false;
    while (head < ready.length && inFlight < 16) {
      const body = ready[head]!;
      ready[head++] = undefined!; // a consumed entry is let go, as InMemoryTransport's queue does
      inFlight++;
      void handle(Buffer.from(body), () => {
        acked++;
      }).finally(() => {
        inFlight--;
        if (acked === N) done();
        else schedule();
      });
    }
  };
  const schedule = (): void => {
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  return measureRun(N, async () => {
    for (let i = 0; i < N; i++) {
      ready.push(new Uint8Array(BODY));
      schedule();
      await Promise.resolve();
    }
    await finished;
  });
}

const R = 40_000;
const IN_FLIGHT = 64;

export async function metroRpc(): Promise<RunFigures> {
  const t = new InMemoryTransport();
  await t.declareQueue({ queue: 'rpc' });
  await t.consume(
    'rpc',
    async (d) => {
      await d.reply!({ body: d.body, contentType: 'application/json', headers: {} });
      await d.ack();
    },
    { concurrency: 16 },
  );
  const message: OutgoingMessage = { destination: { kind: 'queue', queue: 'rpc' }, body: BODY, messageId: 'r', contentType: 'application/json', headers: {} };
  let next = 0;
  const figures = await measureRun(R, async () => {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < R) await t.request(message, { timeoutMs: 10_000 });
      }),
    );
  });
  await t.close();
  return figures;
}

export async function baselineRpc(): Promise<RunFigures> {
  const pending = new Map<number, (body: Uint8Array) => void>();
  let id = 0;
  const request = (body: Uint8Array): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      const my = ++id;
      const timer = setTimeout(() => reject(new Error('timeout')), 10_000);
      pending.set(my, (reply) => {
        clearTimeout(timer);
        pending.delete(my);
        resolve(reply);
      });
      const copy = new Uint8Array(body);
      setImmediate(() => pending.get(my)?.(Buffer.from(copy)));
    });
  let next = 0;
  return measureRun(R, async () => {
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < R) await request(BODY);
      }),
    );
  });
}

const ROUNDS = 7;
/** Rounds of each side before the timed ones: a round is ~0.1 s, less than the JIT needs to settle Metro's longer path. */
const WARM_UP_ROUNDS = 3;

interface Sides {
  readonly metro: RunFigures[];
  readonly baseline: RunFigures[];
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** Two rows for one measure: throughput, and Node CPU per message of the same rounds. */
function rows(label: string, sides: Sides, unit: string, baselineName: string): BenchResult[] {
  const rate = (f: RunFigures): number => f.rate;
  const cpu = (f: RunFigures): number => f.cpuMicrosPerMessage;
  const list = (xs: RunFigures[], of: (f: RunFigures) => number): string => xs.map((f) => Math.round(of(f))).join('/');
  return [
    {
      name: `${label}: throughput`,
      metro: Math.round(median(sides.metro.map(rate))),
      baseline: Math.round(median(sides.baseline.map(rate))),
      unit,
      baselineName,
      higherIsBetter: true,
      goal: '>= 0.8x',
      met: median(sides.metro.map(rate)) >= 0.8 * median(sides.baseline.map(rate)),
      notes: `median of ${ROUNDS} alternating rounds after ${WARM_UP_ROUNDS} warm-up rounds of each side; metro ${list(sides.metro, rate)}, baseline ${list(sides.baseline, rate)}`,
    },
    {
      name: `${label}: Node CPU per message`,
      metro: Number(median(sides.metro.map(cpu)).toFixed(2)),
      baseline: Number(median(sides.baseline.map(cpu)).toFixed(2)),
      unit: 'us/msg',
      baselineName,
      higherIsBetter: false,
      notes: `process.cpuUsage (user + system) over the timed part / messages, median of the same rounds; metro ${sides.metro.map((f) => cpu(f).toFixed(1)).join('/')}, baseline ${sides.baseline.map((f) => cpu(f).toFixed(1)).join('/')}`,
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  // Warm-up, then alternating rounds; the median of each side (the machine is shared and noisy).
  for (let i = 0; i < WARM_UP_ROUNDS; i++) {
    await metroPubSub();
    await baselinePubSub();
    await metroRpc();
    await baselineRpc();
  }
  const pubSub = { metro: [] as RunFigures[], baseline: [] as RunFigures[] };
  const rpc = { metro: [] as RunFigures[], baseline: [] as RunFigures[] };
  for (let i = 0; i < ROUNDS; i++) {
    // who goes first alternates: a round pays for collecting what the round before it left
    const steps = [
      async () => void pubSub.metro.push(await metroPubSub()),
      async () => void pubSub.baseline.push(await baselinePubSub()),
      async () => void rpc.metro.push(await metroRpc()),
      async () => void rpc.baseline.push(await baselineRpc()),
    ];
    for (const step of i % 2 === 0 ? steps : steps.reverse()) await step();
  }
  const results: BenchResult[] = [
    ...rows(
      `InMemoryTransport publish->route->consume->ack (${N} x 1 KiB, concurrency 16)`,
      pubSub,
      'msg/s',
      'hand-written array queue + setImmediate hand-over',
    ),
    ...rows(`InMemoryTransport request/reply (${R} requests, ${IN_FLIGHT} in flight)`, rpc, 'req/s', 'Map of pending promises + setImmediate reply'),
  ];
  return results;
}
