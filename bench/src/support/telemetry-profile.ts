// Profiles the telemetry bench's Metro side with the tracing SDK on (batch span processor,
// in-memory exporter): `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx src/support/telemetry-profile.ts [n] [on|off]`.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { endToEndBus } from './telemetry-round.js';

const messages = Number(process.argv[2] ?? 10_000);
// off: nothing registered; context: only the context manager; hooks: the context manager, used once; on: the bench's SDK; drop: the SDK exporting to a sink that keeps nothing.
const mode = process.argv[3] ?? 'on';
const spans = new InMemorySpanExporter();
const drop = { export: (_: unknown, done: (r: { code: number }) => void) => done({ code: 0 }), shutdown: async () => undefined };
if (mode !== 'off') context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
// hooks: the context manager used once, so Node's promise hooks run for every promise from then on (what any span.run() does).
if (mode === 'hooks') context.with(context.active(), () => undefined);
if (mode === 'on' || mode === 'drop') {
  const exporter = mode === 'on' ? spans : (drop as unknown as InMemorySpanExporter);
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 65_536, maxExportBatchSize: 2048 })] });
  trace.setGlobalTracerProvider(provider);
}
const bus = await endToEndBus();
await bus.round(2000);
const figures = [];
for (let i = 0; i < Number(process.env['ROUNDS'] ?? 3); i++) {
  spans.reset();
  figures.push(await bus.round(messages));
}
await bus.close();
const cpu = figures.map((f) => f.cpuMicrosPerMessage).sort((a, b) => a - b);
process.stdout.write(`${mode}: CPU µs/msg median ${cpu[Math.floor(cpu.length / 2)]!.toFixed(1)} (${cpu.map((c) => c.toFixed(1)).join('/')})\n`);
