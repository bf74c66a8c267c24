// InMemoryTransport throughput: publish -> topic routing (`orders.*`) -> queue -> consumer
// (concurrency 16) -> ack, 1 KiB bodies, against a hand-written floor that does only the
// essentials the same way (copy the bytes, push to an array, hand over on setImmediate, ack by
// callback). And request/reply throughput (64 in flight) against a Map of pending promises.
import { InMemoryTransport, type OutgoingMessage } from '@metro/core';
import type { BenchResult } from './types.js';

const N = 20_000;
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

async function metroPubSub(): Promise<number> {
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
  const started = performance.now();
  for (let i = 0; i < N; i++) await t.publish(outgoing(i));
  await t.whenIdle();
  const seconds = (performance.now() - started) / 1000;
  await t.close();
  if (acked !== N) throw new Error(`metro: expected ${N} acks, got ${acked}`);
  return N / seconds;
}

async function baselinePubSub(): Promise<number> {
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
      const body = ready[head++]!;
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
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    ready.push(new Uint8Array(BODY));
    schedule();
    await Promise.resolve();
  }
  await finished;
  return N / ((performance.now() - started) / 1000);
}

const R = 10_000;
const IN_FLIGHT = 64;

async function metroRpc(): Promise<number> {
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
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < R) await t.request(message, { timeoutMs: 10_000 });
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await t.close();
  return R / seconds;
}

async function baselineRpc(): Promise<number> {
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
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < R) await request(BODY);
    }),
  );
  return R / ((performance.now() - started) / 1000);
}

export async function run(): Promise<BenchResult[]> {
  // Warm-up, then 3 alternating rounds; the median of each side (the machine is shared and noisy).
  await metroPubSub();
  await baselinePubSub();
  await metroRpc();
  await baselineRpc();
  const rounds = { m1: [] as number[], b1: [] as number[], m2: [] as number[], b2: [] as number[] };
  for (let i = 0; i < 3; i++) {
    rounds.m1.push(await metroPubSub());
    rounds.b1.push(await baselinePubSub());
    rounds.m2.push(await metroRpc());
    rounds.b2.push(await baselineRpc());
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]!;
  const [m1, b1, m2, b2] = [median(rounds.m1), median(rounds.b1), median(rounds.m2), median(rounds.b2)];
  const results: BenchResult[] = [
    {
      name: `InMemoryTransport publish->route->consume->ack (${N} x 1 KiB, concurrency 16)`,
      metro: Math.round(m1),
      baseline: Math.round(b1),
      unit: 'msg/s',
      baselineName: 'hand-written array queue + setImmediate hand-over',
      higherIsBetter: true,
      notes: 'median of 3 alternating rounds after a warm-up',
    },
    {
      name: `InMemoryTransport request/reply (${R} requests, ${IN_FLIGHT} in flight)`,
      metro: Math.round(m2),
      baseline: Math.round(b2),
      unit: 'req/s',
      baselineName: 'Map of pending promises + setImmediate reply',
      higherIsBetter: true,
      notes: 'median of 3 alternating rounds after a warm-up',
    },
  ];
  for (const r of results) console.log(`${r.name}: metro ${r.metro} ${r.unit}, baseline ${r.baseline} ${r.unit}, ratio ${(r.metro / r.baseline).toFixed(2)}x`);
  return results;
}
