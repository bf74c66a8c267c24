// `pnpm bench`: runs every bench/src/*.bench.ts module (each exports `run(): Promise<BenchResult[]>`),
// prints Metro vs baseline side by side with the ratio, and rewrites bench/RESULTS.md.
// Run one: `pnpm bench -- amqp-publish` (substring of the file name). Each module runs in a child
// process of its own (run-module.ts), so none starts on what an earlier one left behind.
import { fork } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.js';
import type { ModuleOutcome } from './run-module.js';
import { machineFacts } from './machine.js';
import { waitForQuietMachine } from './support/quiet-machine.js';
import { checkpointPostgres } from './support/checkpoint.js';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv.slice(2).filter((a) => a !== '--');
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();

function ratio(r: BenchResult): number {
  if (r.ratio !== undefined) return r.ratio;
  const higher = r.higherIsBetter ?? true;
  if (r.baseline === 0 || r.metro === 0) return NaN;
  return higher ? r.metro / r.baseline : r.baseline / r.metro;
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}

/** The longest one module may run (the longest, the outbox's, takes about 4 minutes). */
const MODULE_TIMEOUT_MS = 20 * 60_000;

/** Runs one module in a child process (run-module.ts) and returns its results; rejects with its error. */
function runModule(file: string): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(join(here, 'run-module.ts'), [file], { execArgv: ['--import', 'tsx'], serialization: 'advanced' });
    let outcome: ModuleOutcome | undefined;
    const timer = setTimeout(() => {
      outcome = { error: `${file} did not finish within ${MODULE_TIMEOUT_MS / 60_000} minutes; killed` };
      child.kill('SIGKILL');
    }, MODULE_TIMEOUT_MS);
    child.on('message', (message) => (outcome ??= message as ModuleOutcome));
    child.on('error', reject);
    // 'close', not 'exit': it comes after the IPC channel is drained, so the last message is in
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (outcome !== undefined && 'results' in outcome) resolve(outcome.results);
      else reject(new Error(outcome?.error ?? `${file} exited with ${signal ?? `code ${code}`} before reporting results`));
    });
  });
}

const sections: { file: string; results: BenchResult[]; error?: string; seconds: number; waitedMs: number; checkpointed: string }[] = [];
for (const file of files) {
  const checkpoint = await checkpointPostgres();
  const quiet = await waitForQuietMachine();
  const started = Date.now();
  const checkpointed = 'ms' in checkpoint ? `PostgreSQL checkpoint ${Math.round(checkpoint.ms)} ms` : `no PostgreSQL checkpoint (${checkpoint.error})`;
  process.stdout.write(
    `\n## ${file}\n(${checkpointed}; waited ${(quiet.waitedMs / 1000).toFixed(0)} s for the machine to be ${Math.round(quiet.idle * 100)}% idle)\n`,
  );
  try {
    const results = await runModule(file);
    for (const r of results) {
      console.log(
        `${r.name}: metro ${fmt(r.metro)} ${r.unit} | ${r.baselineName} ${fmt(r.baseline)} ${r.unit} | ratio ${fmt(ratio(r))}x${r.goal ? ` | goal ${r.goal}: ${r.met === undefined ? '?' : r.met ? 'met' : 'NOT met'}` : ''}`,
      );
      if (r.notes) console.log(`  notes: ${r.notes}`);
    }
    sections.push({ file, results, seconds: (Date.now() - started) / 1000, waitedMs: quiet.waitedMs, checkpointed });
  } catch (err) {
    console.error(`${file} failed:`, (err as Error).message);
    sections.push({
      file,
      results: [],
      error: (err as Error).message,
      seconds: (Date.now() - started) / 1000,
      waitedMs: quiet.waitedMs,
      checkpointed,
    });
  }
}

if (filter.length === 0) {
  const facts = await machineFacts();
  const lines: string[] = [];
  lines.push('# Benchmark results', '');
  lines.push(
    'Written by `pnpm bench` (bench/src/run-all.ts). Metro and its baseline run side by side in the same run, alternated; each module runs in a process of its own (the end-to-end module and the telemetry no-SDK rows run each side in a child of its own).',
  );
  lines.push('Ratio is Metro relative to the baseline, oriented so that > 1 means Metro is better (throughput: metro/baseline; latency: baseline/metro).', '');
  lines.push('## Machine and settings', '');
  lines.push(`- date: ${new Date().toISOString()}`);
  lines.push(`- cpu: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, memory ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  for (const [k, v] of Object.entries(facts)) lines.push(`- ${k}: ${v}`);
  lines.push(
    "- before each module, a PostgreSQL `CHECKPOINT` (doing the work of the checkpoints the previous modules' WAL set off; each heading says whether it ran), then the module starts once the machine was at least 90% idle over one second (at most 60 s of waiting; each heading gives the wait), a guard against work a module leaves behind (a purged queue being deleted, autovacuum)",
  );
  lines.push('');
  for (const s of sections) {
    lines.push(`## ${s.file} (${s.seconds.toFixed(0)} s; ${s.checkpointed}; then ${(s.waitedMs / 1000).toFixed(0)} s of waiting for a quiet machine)`, '');
    if (s.error) {
      lines.push('Failed:', '', '```', s.error.slice(0, 2000), '```', '');
      continue;
    }
    lines.push('| measure | Metro | baseline | ratio | goal | met | notes |', '| --- | ---: | ---: | ---: | --- | --- | --- |');
    for (const r of s.results) {
      lines.push(
        `| ${r.name} | ${fmt(r.metro)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} (${r.baselineName}) | ${fmt(ratio(r))}x | ${r.goal ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} | ${r.notes ?? ''} |`,
      );
    }
    lines.push('');
  }
  writeFileSync(join(here, '..', 'RESULTS.md'), lines.join('\n'));
  console.log('\nwrote bench/RESULTS.md');
}
process.exit(0);
