// Telemetry (issue #20): what Metro's OpenTelemetry instrumentation costs end to end on RabbitMQ
// (`metro.publish` + a `metro.on` handler in one process, ~1 KiB events, confirms per 1,000,
// prefetch 500). Two ratios, each from ROUNDS alternated rounds, as the median of the pairs' own
// ratios (support/paired-ratio.ts):
// - no SDK registered (the api installed, Metro's hooks in place, every one a no-op) against the
//   same build with `@opentelemetry/api` unresolvable, i.e. no instrumentation can run: each side a
//   child process per round (a process cannot unload a module);
// - the SDK on (tracer provider with a batch span processor and an in-memory exporter, the issue's
//   setting) against it off, in one process (registered and disabled between rounds); a third row
//   adds the metrics SDK (meter provider, in-memory reader) for information.
// Each comparison gives two rows: throughput (wall clock, the issue's figure: what the run does in a
// second) and Node's CPU per message (what a CPU-bound service pays per message, steadier on a
// shared machine). The no-SDK goal holds for both; the SDK-on goal is the issue's, on throughput.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './types.js';
import type { RunFigures } from './support/run-figures.js';
import { pairedRatio, pairsText, type PairedRatio } from './support/paired-ratio.js';
import { endToEndBus } from './support/telemetry-round.js';
import { registerSdk } from './support/tracing-sdk.js';
import { sideProcess } from './support/side-process.js';
import type { TracedFigures } from './support/traced-raw-side.js';

const MESSAGES = Number(process.env['BENCH_OTEL_MESSAGES'] ?? 10_000);
// 9 pairs, not 7: a pair's ratio spread 0.88-1.17x even between identical builds (the no-SDK row).
const ROUNDS = Number(process.env['BENCH_OTEL_ROUNDS'] ?? 9);
const child = fileURLToPath(new URL('./support/telemetry-round.ts', import.meta.url));
const peerSide = fileURLToPath(new URL('./support/traced-raw-side.ts', import.meta.url));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A child's figures, and how many `@opentelemetry/*` modules it loaded. */
type ChildFigures = RunFigures & { readonly otelModules: number };

function childRound(noOtel: boolean): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, String(MESSAGES)], {
      env: { ...process.env, METRO_BENCH_NO_OTEL: noOtel ? '1' : '0', METRO_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildFigures) : reject(new Error(`telemetry round exited ${code}`)),
    );
  });
}

interface Comparison {
  readonly name: string;
  readonly baselineName: string;
  /** The goal of the throughput row; `cpuGoal` also puts it on the CPU row. */
  readonly goal?: number;
  readonly cpuGoal?: boolean;
  readonly notes: string;
}

function rows(c: Comparison, on: RunFigures[], off: RunFigures[]): BenchResult[] {
  const rate = (xs: RunFigures[]): number => median(xs.map((x) => x.rate));
  const cpu = (xs: RunFigures[]): number => median(xs.map((x) => x.cpuMicrosPerMessage));
  const rounds = `${MESSAGES} msgs per round, ${ROUNDS} rounds alternated, each side's median`;
  const rates = pairedRatio(
    on.map((x) => x.rate),
    off.map((x) => x.rate),
    true,
  );
  const cpus = pairedRatio(
    on.map((x) => x.cpuMicrosPerMessage),
    off.map((x) => x.cpuMicrosPerMessage),
    false,
  );
  const goal = (paired: PairedRatio, applies: boolean): Partial<BenchResult> =>
    c.goal !== undefined && applies ? { goal: `>= ${c.goal}x`, met: paired.ratio >= c.goal } : {};
  const pairs = (paired: PairedRatio, medians: number): string =>
    `ratio: the median of the rounds' pairs, ${pairsText(paired)} (the medians' ratio ${medians.toFixed(2)}x)`;
  return [
    {
      name: `${c.name}: throughput`,
      metro: Math.round(rate(on)),
      baseline: Math.round(rate(off)),
      unit: 'msg/s',
      baselineName: c.baselineName,
      ratio: rates.ratio,
      ...goal(rates, true),
      notes: `${rounds}; rounds ${on.map((x) => Math.round(x.rate)).join('/')} vs ${off.map((x) => Math.round(x.rate)).join('/')} msg/s; ${pairs(rates, rate(on) / rate(off))}. ${c.notes}`,
    },
    {
      name: `${c.name}: Node CPU per message`,
      metro: Number(cpu(on).toFixed(1)),
      baseline: Number(cpu(off).toFixed(1)),
      unit: 'us/msg',
      baselineName: c.baselineName,
      higherIsBetter: false,
      ratio: cpus.ratio,
      ...goal(cpus, c.cpuGoal === true),
      notes: `process.cpuUsage (user + system) / messages, publish and consume in one process; rounds ${on.map((x) => x.cpuMicrosPerMessage.toFixed(0)).join('/')} vs ${off.map((x) => x.cpuMicrosPerMessage.toFixed(0)).join('/')}; ${pairs(cpus, cpu(off) / cpu(on))}`,
    },
  ];
}

/** What the api-installed children loaded of OpenTelemetry: none means both sides ran the same code. */
function apiLoadNote(children: ChildFigures[]): string {
  const loaded = Math.max(...children.map((x) => x.otelModules));
  return loaded === 0
    ? 'The api-installed children loaded no OpenTelemetry module (with nothing registered Metro does not load the api), so both sides ran the same code: the ratio is the spread of the rounds.'
    : `The api-installed children loaded up to ${loaded} OpenTelemetry modules.`;
}

/**
 * The peer of the SDK-on rows: raw amqplib traced by OpenTelemetry's own amqplib instrumentation,
 * SDK on against nothing registered, each in a process of its own, their rounds alternated.
 */
async function peerRounds(): Promise<{ on: TracedFigures[]; off: TracedFigures[] }> {
  const topic = `bench-otel-peer-${randomUUID().slice(0, 8)}`;
  const env = { BENCH_E2E_MESSAGES: String(MESSAGES) };
  const [on, off] = await Promise.all([sideProcess<boolean>(peerSide, ['on', topic], env), sideProcess<boolean>(peerSide, ['off', topic], env)]);
  const out = { on: [] as TracedFigures[], off: [] as TracedFigures[] };
  try {
    await on.round(false); // warm-up, both
    await off.round(false);
    for (let i = 0; i < ROUNDS; i++) {
      const steps = [
        async () => void out.on.push((await on.round(false)) as TracedFigures),
        async () => void out.off.push((await off.round(false)) as TracedFigures),
      ];
      for (const step of i % 2 === 0 ? steps : [...steps].reverse()) await step();
    }
  } finally {
    await Promise.all([on.close(), off.close()]);
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const noSdk: ChildFigures[] = [];
  const noApi: RunFigures[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // who goes first alternates
    if (i % 2 === 0) {
      noSdk.push(await childRound(false));
      noApi.push(await childRound(true));
    } else {
      noApi.push(await childRound(true));
      noSdk.push(await childRound(false));
    }
  }
  const bus = await endToEndBus();
  const on: RunFigures[] = [];
  const withMetrics: RunFigures[] = [];
  const off: RunFigures[] = [];
  let spansPerRound = 0;
  const sdkRound = async (figures: RunFigures[], metricsToo: boolean): Promise<void> => {
    const sdk = registerSdk(metricsToo);
    figures.push(await bus.round(MESSAGES));
    spansPerRound = await sdk.exported(); // what the batch processor still holds is flushed after the timed run
    await sdk.off();
  };
  try {
    await bus.round(2000); // warm-up
    // and one with the SDK on: the first traced round otherwise pays for compiling the SDK's code (its CPU ran 1.7x the others')
    await sdkRound([], false);
    for (let i = 0; i < ROUNDS; i++) {
      const order = [() => sdkRound(on, false), async () => void off.push(await bus.round(MESSAGES)), () => sdkRound(withMetrics, true)];
      for (const step of i % 2 === 0 ? order : [...order].reverse()) await step();
    }
  } finally {
    await bus.close();
  }
  const peer = await peerRounds();
  return [
    ...rows(
      {
        name: 'end to end, api installed but no SDK registered',
        baselineName: 'the same build with @opentelemetry/api unresolvable (no instrumentation runs)',
        goal: 0.98,
        cpuGoal: true,
        notes: `Each round a fresh child process: a warm-up round as long as a timed one, then 3 timed rounds, whose medians are the round's figures. ${apiLoadNote(noSdk)}`,
      },
      noSdk,
      noApi,
    ),
    ...rows(
      {
        name: 'end to end, tracing SDK on (batch span processor, in-memory exporter)',
        baselineName: 'SDK off (not registered)',
        goal: 0.85,
        notes: `3 spans per message (publish, process, handler; ${spansPerRound} exported in the last SDK round).`,
      },
      on,
      off,
    ),
    ...rows(
      {
        name: 'end to end, tracing and metrics SDK on (for information)',
        baselineName: 'SDK off (not registered)',
        notes: 'The issue sets its goal on tracing.',
      },
      withMetrics,
      off,
    ),
    ...rows(
      {
        name: 'peer, for information: raw amqplib traced by @opentelemetry/instrumentation-amqplib, SDK on (the same SDK)',
        baselineName: 'the same raw amqplib, nothing registered',
        notes: `What OpenTelemetry's own amqplib instrumentation costs the end-to-end bench's raw side (envelope, publish with confirms per 1,000, consume, zod, ack; prefetch 500): 2 spans per message (its publish and consume spans; ${peer.on.at(-1)?.spans ?? 0} exported in the last traced round). Each side a process of its own, a warm-up round each, then rounds alternated; the "Metro" column is the traced raw side.`,
      },
      peer.on,
      peer.off,
    ),
  ];
}
