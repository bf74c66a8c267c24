// The rpc bench's concurrency-1 comparison alone, with CPU per call (both ends run in this process):
//   cd bench && npx tsx src/support/rpc-profile.ts [calls=2000] [rounds=7] [sides=raw,metro,transport]
// Under a profiler: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/support/rpc-profile.ts 20000 1 metro
// Sides: raw (the rpc bench's baseline, support/raw-rpc.ts), raw-thin (its requests with a correlation
// id and reply-to only, replies on the consuming channel), metro, transport (the transport's request to a consumer that echoes), transport-ttl
// (the same with a timestamp and a per-message TTL, as the rpc client sends), transport-rpc-server
// (the transport's request to the rpc server: the server side of the rpc layer alone).
// Prints, per side, calls/s and CPU µs per call for each alternated round, then the medians and the
// best of each, so the figure's spread (and whether it is CPU or wake-ups) shows.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AmqpTransport } from '@metro/transport-amqp';
import { runWithCorrelation } from '@metro/core';
import { createRpc, defineProcedure } from '@metro/rpc';
import { alternatedBlocks, spread, type Caller } from './alternated-blocks.js';
import { rawRpc } from './raw-rpc.js';
import { ECHO_BODY, echoCaller, serveEcho } from './transport-echo.js';

const url = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const calls = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 7);
const sides = (process.argv[4] ?? 'raw,metro,transport').split(',');
const suffix = randomUUID().slice(0, 8);

async function measure(call: Caller, total: number): Promise<{ rate: number; cpuMicros: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < total; i++) await call(i);
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { rate: total / (elapsed / 1000), cpuMicros: (used.user + used.system) / total };
}

const Echo = defineProcedure({
  name: `profile-${suffix}.echo`,
  input: z.object({ i: z.number() }),
  output: z.object({ i: z.number(), ok: z.boolean() }),
});
const serverTransport = new AmqpTransport({ url });
const clientTransport = new AmqpTransport({ url });
const server = createRpc({ transport: serverTransport, service: 'profile-server', concurrency: 64 });
const client = createRpc({ transport: clientTransport, service: 'profile-client', defaultTimeout: '30s' });
await server.serve(Echo, ({ i }) => ({ i, ok: true }));
const raw = await rawRpc(url, `profile-raw-rpc-${suffix}`);
const thinRaw = sides.includes('raw-thin')
  ? await rawRpc(url, `profile-raw-thin-rpc-${suffix}`, { requests: 'thin', replies: 'consuming-channel' })
  : undefined;
const echoQueue = `profile-transport-echo-${suffix}`;
await serveEcho(serverTransport, echoQueue);
// The echo consumer with its reply sent inside runWithCorrelation (AsyncLocalStorage), as the rpc server's is.
const alsQueue = `profile-transport-als-${suffix}`;
await serverTransport.declareQueue({ queue: alsQueue, temporary: true });
await serverTransport.consume(
  alsQueue,
  (delivery) =>
    runWithCorrelation({ correlationId: delivery.messageId }, () => {
      void delivery.reply?.({ body: delivery.body, contentType: 'application/json', headers: {} });
      return delivery.ack();
    }),
  { concurrency: 64 },
);
const callers: Record<string, Caller> = {
  raw: raw.call,
  'raw-thin': (i) => thinRaw!.call(i),
  metro: (i) => client.call(Echo, { i }),
  transport: echoCaller(clientTransport, echoQueue),
  'transport-als': echoCaller(clientTransport, alsQueue),
  // The transport's request to the rpc server (a valid rpc request body): the server side alone.
  'transport-rpc-server': (i) =>
    clientTransport.request(
      {
        destination: { kind: 'queue', queue: Echo.queue },
        body: Buffer.from(JSON.stringify({ procedure: Echo.name, input: { i }, deadline: Date.now() + 30_000, source: 'p', correlationid: `c${i}` })),
        messageId: `m${i}`,
        contentType: 'application/json',
        headers: {},
      },
      { timeoutMs: 30_000 },
    ),
  // The transport alone with what the rpc client adds to a request: a timestamp and a per-message TTL.
  'transport-ttl': (i) =>
    clientTransport.request(
      {
        destination: { kind: 'queue', queue: echoQueue },
        body: ECHO_BODY,
        messageId: `m${i}`,
        contentType: 'application/json',
        headers: {},
        timestamp: Date.now(),
        expiresInMs: 30_000,
      },
      { timeoutMs: 30_000 },
    ),
};
for (const side of sides) await measure(callers[side]!, 500);
// BLOCKS=<calls per block>: raw vs each other side in alternated blocks (as the rpc bench measures).
if (process.env['BLOCKS']) {
  for (const side of sides.filter((s) => s !== 'raw')) {
    for (let round = 0; round < rounds; round++) {
      const f = await alternatedBlocks(callers['raw']!, callers[side]!, 1, calls, Number(process.env['BLOCKS']));
      process.stdout.write(
        `${side} vs raw, blocks of ${process.env['BLOCKS']}: ${(f.b.callsPerSecond / f.a.callsPerSecond).toFixed(2)}x (${Math.round(f.b.callsPerSecond)} vs ${Math.round(f.a.callsPerSecond)}/s; CPU ${f.b.cpuMicrosPerCall.toFixed(0)} vs ${f.a.cpuMicrosPerCall.toFixed(0)} µs/call; p50 ${f.b.p50.toFixed(2)} vs ${f.a.p50.toFixed(2)} ms; block ratios ${spread(f.blockRatios)})\n`,
      );
    }
  }
  process.exit(0);
}
const figures: Record<string, { rate: number; cpuMicros: number }[]> = {};
for (let round = 0; round < rounds; round++) {
  const line: string[] = [];
  for (const side of sides) {
    const f = await measure(callers[side]!, calls);
    (figures[side] ??= []).push(f);
    line.push(`${side} ${Math.round(f.rate)}/s ${f.cpuMicros.toFixed(0)} µs`);
  }
  process.stdout.write(`round ${round}: ${line.join(' | ')}\n`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const side of sides) {
  const fs = figures[side]!;
  const rate = median(fs.map((f) => f.rate));
  const base = figures['raw'] ? median(figures['raw'].map((f) => f.rate)) : rate;
  const best = Math.max(...fs.map((f) => f.rate));
  const baseBest = figures['raw'] ? Math.max(...figures['raw'].map((f) => f.rate)) : best;
  const perRound = figures['raw'] ? fs.map((f, i) => (f.rate / figures['raw']![i]!.rate).toFixed(2)).join('/') : '';
  process.stdout.write(
    `${side}: median ${Math.round(rate)}/s (${(rate / base).toFixed(2)}x raw), best ${Math.round(best)}/s (${(best / baseBest).toFixed(2)}x), CPU median ${median(fs.map((f) => f.cpuMicros)).toFixed(0)} µs/call; per round ${perRound}\n`,
  );
}
await raw.close();
await thinRaw?.close();
await client.stop();
await server.stop();
await clientTransport.close();
await serverTransport.close();
