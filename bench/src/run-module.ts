// Runs one benchmark module in a process of its own and hands its results to `run-all.ts` over IPC:
//   node --import tsx src/run-module.ts end-to-end.bench.ts
// Most modules' Metro side and baseline share this process (side by side, alternated; the
// end-to-end module and the telemetry module's no-SDK rows put each side in a child of its own);
// what a module does not share is a process with the modules before it. In one process, each module
// started on the heap, timers and JIT state every earlier module left behind, and the collector's
// pauses in a latency module then depended on what ran before it: the outbox's commit-to-delivery
// p99 was 32 ms in a full run and 11 and 17 ms in runs of the module alone right after it.
import type { BenchResult } from './types.js';

/** What a module's child process sends its parent: its results, or why it failed. */
export type ModuleOutcome = { readonly results: BenchResult[] } | { readonly error: string };

const file = process.argv[2];
if (file === undefined || process.send === undefined) {
  console.error('usage: started by run-all.ts with an IPC channel: node --import tsx src/run-module.ts <module>.bench.ts');
  process.exit(2);
}
const send = process.send.bind(process);
/** Reports a crash outside `run()`'s promise (a socket's error event, a timer's throw) with its stack, then exits. */
function crashed(err: unknown): void {
  send({ error: `crashed: ${String((err as Error)?.stack ?? err)}` } satisfies ModuleOutcome, () => process.exit(1));
}
process.on('uncaughtException', crashed);
process.on('unhandledRejection', crashed);
let outcome: ModuleOutcome;
try {
  const mod = (await import(new URL(file, import.meta.url).href)) as { run: () => Promise<BenchResult[]> };
  outcome = { results: await mod.run() };
} catch (err) {
  outcome = { error: String((err as Error)?.stack ?? err) };
}
// a module may leave a timer or socket behind: exit once the parent has the outcome
send(outcome, () => process.exit(0));
