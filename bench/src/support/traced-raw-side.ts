// The peer of Metro's tracing, for the telemetry bench: the end-to-end bench's raw amqplib side
// (build the envelope, publish with confirms per 1,000, consume, parse, validate, ack) traced by
// OpenTelemetry's own `@opentelemetry/instrumentation-amqplib`, under the SDK the issue sets (batch
// span processor, in-memory exporter). Forked by the bench as `traced-raw-side.ts on|off <topic>`;
// `off` runs the same side in the same kind of process with nothing registered. Each round answers
// its figures and, traced, the spans it exported (the exporter is reset after each round, as the
// bench's Metro rounds start each with a fresh SDK).
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { measureRun, type RunFigures } from './run-figures.js';
import { serveSide } from './side-process.js';
import { registerSdk } from './tracing-sdk.js';

/** A round's figures and the spans it exported (0 untraced). */
export type TracedFigures = RunFigures & { readonly spans: number };

const [mode, topic] = process.argv.slice(2) as ['on' | 'off', string];
const sdk = mode === 'on' ? registerSdk(false) : undefined;
// Registered before amqplib loads: the bench module (and with it amqplib) is imported below.
if (sdk) registerInstrumentations({ instrumentations: [new AmqplibInstrumentation()], tracerProvider: sdk.tracerProvider });
const { rawSide, sinkOf, TOTAL } = await import('../end-to-end.bench.js');

await serveSide<boolean>(async () => {
  const sink = await sinkOf(`${topic}-sink-${mode}`);
  const side = await rawSide(`${topic}-${mode}`, sink);
  return {
    async round() {
      const figures = await measureRun(TOTAL, () => side.round(false));
      const traced: TracedFigures = { ...figures, spans: sdk ? await sdk.exported() : 0 };
      sdk?.reset();
      return traced;
    },
    async close() {
      await side.close();
      await sink.close();
      await sdk?.off();
    },
  };
});
