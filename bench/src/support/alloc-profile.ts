// Allocation profile of an end-to-end round: bytes allocated per message by function, collected
// objects included (what the GC has to deal with), from V8's sampling heap profiler. Modes: off and
// on (the telemetry bench's Metro side, tracing SDK off or on), metro and raw (the end-to-end bench's sides).
//   node --import tsx src/support/alloc-profile.ts [n] [off|on|metro|raw]
import { Session } from 'node:inspector/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endToEndBus } from './telemetry-round.js';
import { metroSide, rawSide, sinkOf, TOTAL } from '../end-to-end.bench.js';
import { measureRun } from './run-figures.js';
import { registerSdk } from './tracing-sdk.js';

const mode = process.argv[3] ?? 'off';
const e2e = mode === 'metro' || mode === 'raw';
const messages = e2e ? TOTAL : Number(process.argv[2] ?? 10_000);
const sdk = mode === 'on' ? registerSdk(false) : undefined;
const sink = e2e ? await sinkOf(`bench-alloc-${process.pid}-sink`) : undefined;
const side =
  mode === 'metro' ? await metroSide(`bench-alloc-${process.pid}`, sink!) : mode === 'raw' ? await rawSide(`bench-alloc-${process.pid}`, sink!) : undefined;
const bus = side
  ? {
      round: (n: number) => measureRun(n, () => side.round(false)),
      close: async () => {
        await side.close();
        await sink!.close();
      },
    }
  : await endToEndBus();
await bus.round(2000);
await bus.round(messages);
sdk?.reset();
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
} as never);
await bus.round(messages);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: Node } };
await bus.close();
interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}
const self = new Map<string, number>();
const pkg = new Map<string, number>();
let total = 0;
const walk = (n: Node): void => {
  const url = n.callFrame.url.replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, 'nm:').replace(/.*\/packages\//, 'pk:');
  const key = `${n.callFrame.functionName || '(anon)'} ${url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + n.selfSize);
  const p = url.startsWith('nm:')
    ? url
        .split('/')
        .slice(0, url.startsWith('nm:@') ? 2 : 1)
        .join('/')
    : url.startsWith('pk:')
      ? url.split('/').slice(0, 3).join('/')
      : 'node';
  pkg.set(p, (pkg.get(p) ?? 0) + n.selfSize);
  total += n.selfSize;
  n.children.forEach(walk);
};
walk(profile.head);
const saved = join(mkdtempSync(join(tmpdir(), 'metro-alloc-')), `${mode}.heapprofile`);
writeFileSync(saved, JSON.stringify(profile));
const line = ([k, v]: [string, number]): string => `${(v / messages).toFixed(0).padStart(7)} B  ${k}`;
console.log(`${mode}: ${(total / messages).toFixed(0)} B allocated per message (profile: ${saved})`);
console.log(
  [...pkg]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(line)
    .join('\n'),
);
console.log('---');
console.log(
  [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(process.env['TOP'] ?? 45))
    .map(line)
    .join('\n'),
);
