// Profiles one side of in-memory-transport.bench.ts, run alone for many rounds:
// `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/support/in-memory-profile.ts [pubsub|rpc|baseline-pubsub|baseline-rpc] [rounds]`.
// Prints CPU µs/msg per round (process.cpuUsage); the profile shows where that CPU goes.
import { baselinePubSub, baselineRpc, metroPubSub, metroRpc } from '../in-memory-transport.bench.js';

const sides = { pubsub: metroPubSub, rpc: metroRpc, 'baseline-pubsub': baselinePubSub, 'baseline-rpc': baselineRpc };
const mode = (process.argv[2] ?? 'pubsub') as keyof typeof sides;
const rounds = Number(process.argv[3] ?? 20);
const side = sides[mode];
if (side === undefined) throw new Error(`mode must be one of ${Object.keys(sides).join(', ')}`);
const cpu: number[] = [];
for (let i = 0; i < rounds; i++) cpu.push((await side()).cpuMicrosPerMessage);
const sorted = [...cpu].sort((a, b) => a - b);
process.stdout.write(`${mode}: CPU µs/msg median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} (${cpu.map((c) => c.toFixed(1)).join('/')})\n`);
