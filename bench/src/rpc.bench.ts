// RPC over real RabbitMQ: Metro RPC (createRpc on AmqpTransport) vs a raw amqplib direct-reply-to
// client/server (support/raw-rpc.ts), side by side in one process run. Small payloads, concurrency 1 and 64.
// And NestJS microservices: ClientProxy.send over its RMQ transport (a @MessagePattern controller).
// Plus the loader: 1,000 lookups issued at once (one call) vs 1,000 raw calls.
// Each comparison runs the two sides in alternated blocks of calls (support/alternated-blocks.ts),
// not in rounds of which each side's best is kept: on the shared 2-core machines the best of 3
// rounds let one side's lucky round decide the ratio (0.81x-1.00x at concurrency 1 over full runs).
// Metro's side alone, with CPU per call: support/rpc-profile.ts.
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { z } from 'zod';
import { AmqpTransport } from '@metro/transport-amqp';
import { createRpc, defineProcedure } from '@metro/rpc';
import type { BenchResult } from './types.js';
import { alternatedBlocks, spread, type Caller, type SideFigures } from './support/alternated-blocks.js';
import { rawRpc } from './support/raw-rpc.js';
import { echoCaller, serveEcho } from './support/transport-echo.js';

const url = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** The baseline of the goal rows: support/raw-rpc.ts laid out as Metro is (replies on a connection of their own). */
const RAW_NAME = 'raw amqplib direct reply-to, replies on a connection of their own (as Metro)';
const suffix = randomUUID().slice(0, 8);

interface Measured {
  callsPerSecond: number;
  p50: number;
  p99: number;
}

async function measure(call: Caller, concurrency: number, total: number): Promise<Measured> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await call(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { callsPerSecond: total / elapsed, p50: at(0.5), p99: at(0.99) };
}

/**
 * Runs `total` calls of `baseline` and of `metro` in alternated blocks (see
 * support/alternated-blocks.ts: A B B A, so both sides see the same moments of the shared
 * machine); each side's calls/s is its calls over its blocks' time.
 */
async function alternated(
  baseline: Caller,
  metro: Caller,
  concurrency: number,
  total: number,
): Promise<{ baseline: Measured; metro: Measured; notes: string }> {
  const blockCalls = concurrency === 1 ? 200 : 2000;
  const f = await alternatedBlocks(baseline, metro, concurrency, total, blockCalls);
  const side = (x: SideFigures): Measured => ({ callsPerSecond: x.callsPerSecond, p50: x.p50, p99: x.p99 });
  return {
    baseline: side(f.a),
    metro: side(f.b),
    notes: `${total} calls each in alternated blocks of ${blockCalls}; metro/baseline per block pair min/p25/median/p75/max ${spread(f.blockRatios)}; process CPU per call metro ${f.b.cpuMicrosPerCall.toFixed(0)} µs, baseline ${f.a.cpuMicrosPerCall.toFixed(0)} µs (both ends of each side run in this process)`,
  };
}

/** The peer: a NestJS microservice on its RMQ transport and a ClientProxy (noAck, direct reply-to). */
async function nestRpc(queue: string) {
  await import('reflect-metadata');
  const { Controller, Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { ClientProxyFactory, MessagePattern, Transport } = await import('@nestjs/microservices');
  const { firstValueFrom } = await import('rxjs');
  class EchoController {
    echo(data: { i: number }) {
      return { i: data.i, ok: true };
    }
  }
  // Decorators applied by hand: the bench runs under tsx without experimentalDecorators.
  MessagePattern('echo')(EchoController.prototype, 'echo', Object.getOwnPropertyDescriptor(EchoController.prototype, 'echo')!);
  Controller()(EchoController);
  class EchoModule {}
  Module({ controllers: [EchoController] })(EchoModule);
  const rmq = { urls: [url], queue, queueOptions: { durable: false, autoDelete: true } };
  const app = await NestFactory.createMicroservice(EchoModule, { logger: false, transport: Transport.RMQ, options: { ...rmq, prefetchCount: 128 } });
  await app.listen();
  const client = ClientProxyFactory.create({ transport: Transport.RMQ, options: rmq });
  await client.connect();
  return {
    call: (i: number): Promise<unknown> => firstValueFrom(client.send('echo', { i })),
    close: async () => {
      await client.close();
      await app.close();
    },
  };
}

const Echo = defineProcedure({
  name: `bench-${suffix}.echo`,
  input: z.object({ i: z.number() }),
  output: z.object({ i: z.number(), ok: z.boolean() }),
});
const Lookup = defineProcedure({
  name: `bench-${suffix}.lookup`,
  input: z.array(z.string()),
  output: z.array(z.object({ id: z.string(), name: z.string() })),
});

export async function run(): Promise<BenchResult[]> {
  // Both sides run with TCP_NODELAY (the transport's default; the raw baseline sets it too).
  const serverTransport = new AmqpTransport({ url });
  const clientTransport = new AmqpTransport({ url });
  const server = createRpc({ transport: serverTransport, service: 'bench-server', concurrency: 64 });
  const client = createRpc({ transport: clientTransport, service: 'bench-client', defaultTimeout: '30s' });
  let lookupCalls = 0;
  await server.serve(Echo, ({ i }) => ({ i, ok: true }));
  await server.serve(Lookup, (ids) => {
    lookupCalls++;
    return ids.map((id) => ({ id, name: `n${id}` }));
  });
  const raw = await rawRpc(url, `bench-raw-rpc-${suffix}`);
  const thinRaw = await rawRpc(url, `bench-raw-thin-rpc-${suffix}`, { requests: 'thin', replies: 'consuming-channel' });
  const sharedRaw = await rawRpc(url, `bench-raw-shared-rpc-${suffix}`, { replies: 'consuming-channel' });
  // The transport alone (no rpc layer), to show where the time goes: AmqpTransport.request to a
  // consumer that echoes through delivery.reply.
  const echoQueue = `bench-transport-echo-${suffix}`;
  await serveEcho(serverTransport, echoQueue);
  const transportCall = echoCaller(clientTransport, echoQueue);
  const metroCall: Caller = (i) => client.call(Echo, { i });
  const results: BenchResult[] = [];
  try {
    // Warm up every caller to steady state, at both concurrencies the module measures: after 500 calls
    // Metro's longer path was still being compiled (session 12: in one process the c=1 ratio went
    // 0.62x, 0.82x, 0.73x over its first three 2,000-call comparisons, then held at 0.82-0.89x).
    for (const call of [metroCall, raw.call, transportCall, thinRaw.call, sharedRaw.call]) {
      await measure(call, 1, 2000);
      await measure(call, 64, 4000);
    }
    for (const [concurrency, total] of [
      [1, 4000],
      [64, 20000],
    ] as const) {
      const { baseline: b, metro: m, notes } = await alternated(raw.call, metroCall, concurrency, total);
      const tr = await measure(transportCall, concurrency, total);
      const ratio = m.callsPerSecond / b.callsPerSecond;
      results.push(
        {
          name: `rpc calls/s, concurrency ${concurrency}`,
          metro: m.callsPerSecond,
          baseline: b.callsPerSecond,
          unit: 'calls/s',
          baselineName: RAW_NAME,
          // The goals: >= 0.9x at concurrency 1 (issue #24), >= 0.85x at 64.
          goal: concurrency === 1 ? '>= 0.9x raw' : '>= 0.85x raw',
          met: ratio >= (concurrency === 1 ? 0.9 : 0.85),
          notes: `${notes}; both sides TCP_NODELAY (transport default), server concurrency 64; the baseline's requests carry what Metro's do on the wire (mandatory, message id, timestamp, expiration) and its server replies on a connection of its own, as Metro's does`,
        },
        {
          name: `rpc p50 latency, concurrency ${concurrency}`,
          metro: m.p50,
          baseline: b.p50,
          unit: 'ms',
          baselineName: RAW_NAME,
          higherIsBetter: false,
        },
        {
          name: `rpc p99 latency, concurrency ${concurrency}`,
          metro: m.p99,
          baseline: b.p99,
          unit: 'ms',
          baselineName: RAW_NAME,
          higherIsBetter: false,
        },
        {
          name: `transport.request alone (no rpc layer) calls/s, concurrency ${concurrency}`,
          metro: tr.callsPerSecond,
          baseline: b.callsPerSecond,
          unit: 'calls/s',
          baselineName: RAW_NAME,
          notes: `AmqpTransport request/reply without @metro/rpc; p50 ${tr.p50.toFixed(2)} ms, p99 ${tr.p99.toFixed(2)} ms`,
        },
      );
    }
    // For information: against raw amqplib laid out as most RPC examples are, the server replying
    // on the channel its requests arrive on (one connection per side; the baseline above replies on
    // a connection of its own, as Metro does), and the same sending thin requests (no mandatory,
    // message id, timestamp or expiration), the comparison this module made until session 10.
    for (const [other, name, baselineName, what] of [
      [
        sharedRaw,
        'rpc calls/s, concurrency 1, vs raw amqplib replying on its consuming channel',
        'raw amqplib direct reply-to, replies and acks on the channel the requests arrive on',
        "what Metro's separate publish connection costs at concurrency 1 (the broker reads one socket more per call), not its layers",
      ],
      [
        thinRaw,
        'rpc calls/s, concurrency 1, vs raw amqplib sending thin requests',
        'raw amqplib direct reply-to, requests with a correlation id and reply-to only, replies on the consuming channel',
        "what the request's properties and the separate publish connection cost the broker, not Metro's layers",
      ],
    ] as const) {
      const { baseline: b, metro: m, notes } = await alternated(other.call, metroCall, 1, 4000);
      results.push({ name, metro: m.callsPerSecond, baseline: b.callsPerSecond, unit: 'calls/s', baselineName, notes: `${notes}; ${what}` });
    }
    // NestJS microservices over RMQ, same calls, same concurrency.
    try {
      const nest = await nestRpc(`bench-nest-rpc-${suffix}`);
      try {
        await measure(nest.call, 16, 500);
        for (const [concurrency, total] of [
          [1, 2000],
          [64, 10000],
        ] as const) {
          const { baseline: n, metro: m, notes } = await alternated(nest.call, metroCall, concurrency, total);
          results.push({
            name: `rpc calls/s vs NestJS, concurrency ${concurrency}`,
            metro: m.callsPerSecond,
            baseline: n.callsPerSecond,
            unit: 'calls/s',
            baselineName: 'NestJS ClientProxy.send (RMQ)',
            goal: 'ahead of NestJS',
            met: m.callsPerSecond > n.callsPerSecond,
            notes: `${notes}; p50 metro ${m.p50.toFixed(2)} ms / nest ${n.p50.toFixed(2)} ms, p99 metro ${m.p99.toFixed(2)} ms / nest ${n.p99.toFixed(2)} ms`,
          });
        }
      } finally {
        await nest.close();
      }
    } catch (err) {
      console.warn('NestJS comparison skipped:', (err as Error).message);
    }
    // The loader: 1,000 lookups issued at once -> one call; baseline: 1,000 raw calls at concurrency 64.
    const loader = client.loader(Lookup, { key: 'id' });
    lookupCalls = 0;
    const t0 = performance.now();
    const items = await Promise.all(Array.from({ length: 1000 }, (_, i) => loader.load(`k${i}`)));
    const loaderMs = performance.now() - t0;
    if (items.some((item, i) => item?.id !== `k${i}`)) throw new Error('loader returned a wrong item');
    const t1 = performance.now();
    await measure(raw.call, 64, 1000);
    const rawMs = performance.now() - t1;
    results.push({
      name: '1,000 lookups issued at once',
      metro: loaderMs,
      baseline: rawMs,
      unit: 'ms',
      baselineName: '1,000 raw amqplib calls (concurrency 64)',
      higherIsBetter: false,
      goal: 'one round trip',
      met: lookupCalls === 1,
      notes: `calls made by the loader: ${lookupCalls}`,
    });
  } finally {
    await raw.close();
    await thinRaw.close();
    await sharedRaw.close();
    await client.stop();
    await server.stop();
    await clientTransport.close();
    await serverTransport.close();
    const conn = await amqp.connect(url);
    const ch = await conn.createChannel();
    for (const q of [Echo.queue, Lookup.queue]) await ch.deleteQueue(q).catch(() => undefined);
    await conn.close();
  }
  for (const r of results) {
    const ratio = (r.higherIsBetter ?? true) ? r.metro / r.baseline : r.baseline / r.metro;
    console.log(`${r.name}: metro ${r.metro.toFixed(2)} ${r.unit} | ${r.baselineName} ${r.baseline.toFixed(2)} ${r.unit} | ratio ${ratio.toFixed(2)}x`);
  }
  return results;
}
