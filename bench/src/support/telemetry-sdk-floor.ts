// What the tracing SDK alone costs per message, for the telemetry bench's floor: the same three
// spans Metro opens (publish, process, handler) with the same attributes, parents and context
// switches, batch span processor and in-memory exporter, no Metro and no I/O.
// `node --import tsx src/support/telemetry-sdk-floor.ts [n] [off]` prints CPU µs per message; `off` runs the same loop
// with no SDK registered (the loop's own cost, to subtract).
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerSdk } from './tracing-sdk.js';

const messages = Number(process.argv[2] ?? 10_000);
// off: the context manager only, so the loop's context switches cost what they do with the SDK on
const sdk = process.argv[3] !== 'off' ? registerSdk(false) : undefined;
if (!sdk) context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const tracer = trace.getTracer('@metro/core');
const base = { 'messaging.system': 'rabbitmq', 'messaging.destination.name': 'orders', 'messaging.rabbitmq.destination.routing_key': 'placed' };

async function oneMessage(i: number): Promise<void> {
  const id = `m-${i}`;
  const publish = tracer.startSpan('publish orders', {
    kind: SpanKind.PRODUCER,
    attributes: {
      ...base,
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.message.id': id,
      'messaging.message.conversation_id': id,
    },
  });
  const sc = publish.spanContext();
  publish.end();
  const parent = trace.setSpanContext(ROOT_CONTEXT, { ...sc, isRemote: true });
  const process = tracer.startSpan(
    'process orders',
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...base,
        'messaging.operation.name': 'process',
        'messaging.operation.type': 'process',
        'messaging.message.id': id,
        'messaging.message.conversation_id': id,
        'messaging.destination.subscription.name': 'svc',
        'messaging.message.body.size': 1100,
        'metro.attempt': 1,
        'metro.service': 'svc',
      },
    },
    parent,
  );
  await context.with(trace.setSpan(parent, process), async () => {
    const handler = tracer.startSpan('handler orders.placed#0', {
      kind: SpanKind.INTERNAL,
      attributes: { 'metro.handler': 'orders.placed#0', 'metro.attempt': 1, 'metro.service': 'svc' },
    });
    await context.with(trace.setSpan(context.active(), handler), () => Promise.resolve());
    handler.end();
  });
  process.setAttribute('metro.outcome', 'ok');
  process.end();
}

async function round(): Promise<number> {
  sdk?.reset();
  const cpu = globalThis.process.cpuUsage();
  for (let i = 0; i < messages; i += 500) await Promise.all(Array.from({ length: 500 }, (_, j) => oneMessage(i + j)));
  const used = globalThis.process.cpuUsage(cpu);
  return (used.user + used.system) / messages;
}

await round();
const figures: number[] = [];
for (let i = 0; i < 5; i++) figures.push(await round());
figures.sort((a, b) => a - b);
globalThis.process.stdout.write(
  `${sdk ? 'SDK alone' : 'loop, no SDK'}: CPU µs/msg median ${figures[2]!.toFixed(1)} (${figures.map((f) => f.toFixed(1)).join('/')})\n`,
);
