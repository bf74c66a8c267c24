// Measures two callers side by side in small alternated blocks (A B B A, A B B A, ...), so both see
// the same machine: on the 2-core bench machines, rounds of 2,000 RPC calls at concurrency 1
// measured 0.3x-2x apart back to back (other processes' bursts last about as long as a round), and
// the best of 3 such rounds of each side let one side's lucky round decide the ratio (0.81x-1.00x
// over full runs of the same code). Blocks of a few hundred calls, in A B B A order (which cancels a
// trend across the run), give each side the same share of quiet and busy moments.

export type Caller = (i: number) => Promise<unknown>;

export interface SideFigures {
  /** Calls over the time spent in this side's blocks. */
  callsPerSecond: number;
  p50: number;
  p99: number;
  /** CPU (user + system) of the process per call while this side's blocks ran, µs. */
  cpuMicrosPerCall: number;
}

export interface AlternatedFigures {
  a: SideFigures;
  b: SideFigures;
  /** b's calls/s over a's, per pair of blocks (B A or A B), sorted: the spread of the ratio. */
  blockRatios: number[];
}

interface Block {
  calls: number;
  ms: number;
  cpuMicros: number;
}

async function runBlock(call: Caller, concurrency: number, calls: number, latencies: number[]): Promise<Block> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, calls) }, async () => {
      while (next < calls) {
        const i = next++;
        const t0 = performance.now();
        await call(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { calls, ms, cpuMicros: used.user + used.system };
}

function figures(blocks: Block[], latencies: number[]): SideFigures {
  const calls = blocks.reduce((n, b) => n + b.calls, 0);
  const ms = blocks.reduce((n, b) => n + b.ms, 0);
  const cpu = blocks.reduce((n, b) => n + b.cpuMicros, 0);
  const sorted = [...latencies].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { callsPerSecond: calls / (ms / 1000), p50: at(0.5), p99: at(0.99), cpuMicrosPerCall: cpu / calls };
}

/**
 * Runs `total` calls of each of `a` and `b` at `concurrency`, in blocks of `blockCalls` alternated
 * A B B A; calls/s per side is its calls over the time its blocks took.
 *
 * @example
 * ```ts
 * const { a: raw, b: metro } = await alternatedBlocks(rawCall, metroCall, 1, 2000, 200);
 * ```
 */
export async function alternatedBlocks(a: Caller, b: Caller, concurrency: number, total: number, blockCalls: number): Promise<AlternatedFigures> {
  const blocks = { a: [] as Block[], b: [] as Block[] };
  const latencies = { a: [] as number[], b: [] as number[] };
  const count = Math.max(1, Math.round(total / blockCalls));
  for (let i = 0; i < count; i++) {
    const order: ('a' | 'b')[] = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
    for (const side of order) blocks[side].push(await runBlock(side === 'a' ? a : b, concurrency, blockCalls, latencies[side]));
  }
  const blockRatios = blocks.b.map((bb, i) => bb.calls / bb.ms / (blocks.a[i]!.calls / blocks.a[i]!.ms)).sort((x, y) => x - y);
  return { a: figures(blocks.a, latencies.a), b: figures(blocks.b, latencies.b), blockRatios };
}

/** `values` (sorted) as `min/p25/median/p75/max`, two decimals. */
export function spread(values: number[]): string {
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))]!;
  return [0, 0.25, 0.5, 0.75, 1].map((q) => (q === 1 ? values[values.length - 1]! : at(q)).toFixed(2)).join('/');
}
