// CPU of the rpc layer alone (no broker): rpc client and server over core's InMemoryTransport, one
// call at a time, against the transport's request to a consumer that echoes (the same transport
// work without the rpc layer). `npx tsx src/support/rpc-layer-cpu.ts [calls=20000] [rounds=5]`;
// add `--cpu-prof` through node to see where the difference goes.
import { z } from 'zod';
import { InMemoryTransport } from '@metro/core';
import { createRpc, defineProcedure } from '@metro/rpc';

const calls = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const transport = new InMemoryTransport();
await transport.start();
const Echo = defineProcedure({ name: 'cpu.echo', input: z.object({ i: z.number() }), output: z.object({ i: z.number(), ok: z.boolean() }) });
const server = createRpc({ transport, service: 'server', concurrency: 64 });
const client = createRpc({ transport, service: 'client', defaultTimeout: '30s' });
await server.serve(Echo, ({ i }) => ({ i, ok: true }));
await transport.declareQueue({ queue: 'cpu-echo', temporary: true });
await transport.consume(
  'cpu-echo',
  async (delivery) => {
    void delivery.reply?.({
      body: Buffer.from(JSON.stringify({ status: 'success', data: JSON.parse(Buffer.from(delivery.body).toString()).input })),
      contentType: 'application/json',
      headers: {},
    });
    await delivery.ack();
  },
  { concurrency: 64 },
);
const sides = {
  metro: (i: number) => client.call(Echo, { i }),
  transport: (i: number) =>
    transport.request(
      {
        destination: { kind: 'queue', queue: 'cpu-echo' },
        body: Buffer.from(JSON.stringify({ input: { i, ok: true }, deadline: Date.now() + 30_000 })),
        messageId: `m${i}`,
        contentType: 'application/json',
        headers: {},
      },
      { timeoutMs: 30_000 },
    ),
};
for (let round = 0; round < rounds; round++) {
  const line: string[] = [];
  for (const [name, call] of Object.entries(sides)) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < calls; i++) await call(i);
    const used = process.cpuUsage(cpu);
    line.push(`${name} ${((used.user + used.system) / calls).toFixed(1)} µs/call`);
  }
  process.stdout.write(`round ${round}: ${line.join(' | ')}\n`);
}
await client.stop();
await server.stop();
await transport.close();
