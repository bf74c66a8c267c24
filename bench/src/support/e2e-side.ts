// One side of the end-to-end bench (end-to-end.bench.ts) in a process of its own: forked by the
// bench as `e2e-side.ts metro|raw <topic>`; each request is one timed round (`true`: publish only,
// to a sink queue of this side's that is purged after the round).
import { metroSide, rawSide, sinkOf, TOTAL } from '../end-to-end.bench.js';
import { measureRun } from './run-figures.js';
import { serveSide } from './side-process.js';

const [which, topic] = process.argv.slice(2) as ['metro' | 'raw', string];
await serveSide<boolean>(async () => {
  const sink = await sinkOf(`${topic}-sink-${which}`);
  const side = which === 'metro' ? await metroSide(topic, sink) : await rawSide(topic, sink);
  return {
    round: (publishOnly) => measureRun(TOTAL, () => side.round(publishOnly)),
    async close() {
      await side.close();
      await sink.close();
    },
  };
});
