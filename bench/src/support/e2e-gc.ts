// Per round of the end-to-end bench's sides: CPU per message and the GC's pauses by kind; `both`
// runs the two in this one process (as the bench did before session 14). PAUSE=<ms> waits between
// rounds (default 50); PUBLISH_ONLY=1 times publish-only rounds.
//   node --import tsx src/support/e2e-gc.ts metro|raw|both [rounds]
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { metroSide, rawSide, sinkOf } from '../end-to-end.bench.js';
import { measureRun } from './run-figures.js';

const which = process.argv[2] ?? 'metro';
const rounds = Number(process.argv[3] ?? 10);
const gc = { minor: 0, major: 0, incremental: 0, n: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail: { kind: number } }).detail.kind;
    gc.n++;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gc.minor += e.duration;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major += e.duration;
    else gc.incremental += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
const topic = `bench-gc-${randomBytes(4).toString('hex')}`;
const sink = await sinkOf(`${topic}-sink`);
const sides =
  which === 'both'
    ? { metro: await metroSide(topic, sink), raw: await rawSide(topic, sink) }
    : { [which]: which === 'metro' ? await metroSide(topic, sink) : await rawSide(topic, sink) };
for (let r = 0; r < rounds; r++)
  for (const [name, side] of Object.entries(sides)) {
    Object.assign(gc, { minor: 0, major: 0, incremental: 0, n: 0 });
    const f = await measureRun(20_000, () => side.round(process.env['PUBLISH_ONLY'] === '1'));
    await new Promise((res) => setTimeout(res, Number(process.env.PAUSE ?? 50)));
    const heap = process.memoryUsage().heapUsed / 1e6;
    console.log(
      `${name} r${r}: ${f.cpuMicrosPerMessage.toFixed(1)} µs/msg ${Math.round(f.rate)} msg/s; gc ms minor ${gc.minor.toFixed(0)} major ${gc.major.toFixed(0)} other ${gc.incremental.toFixed(0)} (${gc.n}); heap ${heap.toFixed(0)} MB`,
    );
  }
for (const side of Object.values(sides)) await side.close();
await sink.close();
