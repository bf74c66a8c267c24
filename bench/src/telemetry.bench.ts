// Telemetry (issue #20): what Metro's OpenTelemetry instrumentation costs end to end on RabbitMQ
// (`metro.publish` + a `metro.on` handler in one process, ~1 KiB events, confirms per 1,000,
// prefetch 500). Two ratios, each from alternated rounds, median of ROUNDS:
// - no SDK registered (the api installed, Metro's hooks in place, every one a no-op) against the
//   same build with `@opentelemetry/api` unresolvable, i.e. no instrumentation can run: each side a
//   child process per round (a process cannot unload a module);
// - the SDK on (tracer provider with a batch span processor and an in-memory exporter, the issue's
//   setting) against it off, in one process (registered and disabled between rounds); a third row
//   adds the metrics SDK (meter provider, in-memory reader) for information.
// Both throughput (wall clock) and CPU per message are reported; the ratio is on throughput per
// core (1 / CPU per message): the wall clock of a shared 2-core machine swings by tens of percent.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemoryMetricExporter, AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { BenchResult } from './types.js';
import type { RunFigures } from './support/run-figures.js';
import { endToEndBus } from './support/telemetry-round.js';

const MESSAGES = Number(process.env['BENCH_OTEL_MESSAGES'] ?? 10_000);
const ROUNDS = Number(process.env['BENCH_OTEL_ROUNDS'] ?? 5);
const child = fileURLToPath(new URL('./support/telemetry-round.ts', import.meta.url));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function childRound(noOtel: boolean): Promise<RunFigures> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, String(MESSAGES)], {
      env: { ...process.env, METRO_BENCH_NO_OTEL: noOtel ? '1' : '0', METRO_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as RunFigures) : reject(new Error(`telemetry round exited ${code}`)),
    );
  });
}

/** Registers the SDK (batch span processor + in-memory exporter; with `withMetrics`, a meter provider with an in-memory reader); returns its removal. */
function registerSdk(withMetrics: boolean): { spans: InMemorySpanExporter; exported(): Promise<number>; off(): Promise<void> } {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans, { maxQueueSize: 65_536, maxExportBatchSize: 2048 })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE), exportIntervalMillis: 60_000 })],
  });
  if (withMetrics) metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    async exported() {
      await tracerProvider.forceFlush();
      return spans.getFinishedSpans().length;
    },
    async off() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}

function row(name: string, on: RunFigures[], off: RunFigures[], baselineName: string, goal: number, notes: string): BenchResult {
  const perCore = (xs: RunFigures[]): number => 1e6 / median(xs.map((x) => x.cpuMicrosPerMessage));
  const metro = perCore(on);
  const baseline = perCore(off);
  const rates = (xs: RunFigures[]): string => xs.map((x) => Math.round(x.rate)).join('/');
  return {
    name,
    metro,
    baseline,
    unit: 'msg/s per core',
    baselineName,
    goal: `>= ${goal}x`,
    met: metro / baseline >= goal,
    notes:
      `${MESSAGES} msgs per round, ${ROUNDS} rounds alternated; CPU µs/msg median ${median(on.map((x) => x.cpuMicrosPerMessage)).toFixed(1)} vs ` +
      `${median(off.map((x) => x.cpuMicrosPerMessage)).toFixed(1)}; wall-clock msg/s ${rates(on)} vs ${rates(off)} (median ratio ` +
      `${(median(on.map((x) => x.rate)) / median(off.map((x) => x.rate))).toFixed(2)}x). ${notes}`,
  };
}

export async function run(): Promise<BenchResult[]> {
  const noSdk: RunFigures[] = [];
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
    for (let i = 0; i < ROUNDS; i++) {
      const order = [() => sdkRound(on, false), async () => void off.push(await bus.round(MESSAGES)), () => sdkRound(withMetrics, true)];
      for (const step of i % 2 === 0 ? order : [...order].reverse()) await step();
    }
  } finally {
    await bus.close();
  }
  return [
    row(
      'end to end, api installed but no SDK registered',
      noSdk,
      noApi,
      'the same build with @opentelemetry/api unresolvable (no instrumentation runs)',
      0.98,
      'Each round a fresh child process (one warm-up round of 2,000 first).',
    ),
    row(
      'end to end, tracing SDK on (batch span processor, in-memory exporter)',
      on,
      off,
      'SDK off (not registered)',
      0.85,
      `3 spans per message (publish, process, handler; ${spansPerRound} exported in the last SDK round).`,
    ),
    {
      ...row(
        'end to end, tracing and metrics SDK on',
        withMetrics,
        off,
        'SDK off (not registered)',
        0.85,
        'For information: the issue sets its goal on tracing.',
      ),
      goal: undefined,
      met: undefined,
    },
  ];
}
