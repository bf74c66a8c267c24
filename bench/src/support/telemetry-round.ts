// One end-to-end round for the telemetry bench: `metro.publish` of N ~1 KiB events on RabbitMQ and
// a `metro.on` handler consuming them in the same process, timed by the wall clock and by CPU.
// Run as a child (`node --import tsx telemetry-round.ts <n>`) it prints its figures as JSON; with
// METRO_BENCH_NO_OTEL=1 `@opentelemetry/api` cannot be resolved in it (the bench's baseline).
import { randomBytes, randomUUID } from 'node:crypto';
import Module, { createRequire } from 'node:module';
import { z } from 'zod';
import type { RunFigures } from './run-figures.js';
import { deleteExchanges } from './delete-exchanges.js';

const URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const CONFIRM_BATCH = 1000;
const schema = z.object({ orderId: z.string(), total: z.number(), note: z.string() });
const note = randomBytes(450).toString('hex');

/** Makes `@opentelemetry/api` unresolvable in this process (before Metro loads it). */
export function blockOpenTelemetryApi(): void {
  const moduleWithResolve = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const resolve = moduleWithResolve._resolveFilename;
  moduleWithResolve._resolveFilename = function (request: string, ...rest: unknown[]): string {
    if (request === '@opentelemetry/api') throw Object.assign(new Error("Cannot find module '@opentelemetry/api'"), { code: 'MODULE_NOT_FOUND' });
    return resolve.call(this, request, ...rest);
  };
}

/** A bus on RabbitMQ that publishes and consumes `messages` events per `round()`; `close()` deletes its queue and topic. */
export async function endToEndBus(): Promise<{ round(messages: number): Promise<RunFigures>; close(): Promise<void> }> {
  const { createMetro, defineEvent } = await import('@metro/core');
  const { AmqpTransport } = await import('@metro/transport-amqp');
  const { measureRun } = await import('./run-figures.js');
  const topic = `bench-otel-${randomUUID().slice(0, 8)}`;
  const Placed = defineEvent({ topic, type: 'placed', schema });
  const transport = new AmqpTransport({ url: URL });
  const metro = createMetro({ service: `${topic}-svc`, transport, concurrency: 500, prefetch: 500 });
  let received = 0;
  let target = Infinity;
  let done: () => void = () => undefined;
  metro.on(Placed, (p) => {
    if (p.total >= 0 && ++received >= target) done();
  });
  await metro.start();
  return {
    round: (messages) =>
      measureRun(messages, async () => {
        received = 0;
        target = messages;
        const all = new Promise<void>((resolve) => (done = resolve));
        for (let sent = 0; sent < messages; sent += CONFIRM_BATCH) {
          const batch: Promise<unknown>[] = [];
          for (let i = sent; i < Math.min(messages, sent + CONFIRM_BATCH); i++) batch.push(metro.publish(Placed, { orderId: `o-${i}`, total: i, note }));
          await Promise.all(batch);
        }
        await all;
      }),
    async close() {
      await metro.stop({ closeTransport: false });
      await transport.deleteQueue(`${topic}-svc`);
      await transport.close();
      await deleteExchanges(URL, [topic]);
    },
  };
}

/** The `@opentelemetry/*` modules this process has loaded (CommonJS cache: the api's `require` build is what Metro loads). */
export function openTelemetryModulesLoaded(): number {
  return Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes('@opentelemetry')).length;
}

/** Per figure, the median of `rounds` (rate and CPU each on its own). */
function medianFigures(rounds: RunFigures[]): RunFigures {
  const at = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { rate: at(rounds.map((r) => r.rate)), cpuMicrosPerMessage: at(rounds.map((r) => r.cpuMicrosPerMessage)) };
}

// As a child process: a warm-up round as long as a timed one (a process's first round runs its code
// cold: with a 2,000-message warm-up, one timed round per child spread 71-94 µs per message between
// children running the same code), then CHILD_ROUNDS timed rounds; the medians on stdout, with the
// number of OpenTelemetry modules the run loaded (with nothing registered, Metro loads none).
if (process.argv[1]?.endsWith('telemetry-round.ts')) {
  if (process.env['METRO_BENCH_NO_OTEL'] === '1') blockOpenTelemetryApi();
  const messages = Number(process.argv[2] ?? 10_000);
  const timedRounds = Number(process.env['CHILD_ROUNDS'] ?? 3);
  const bus = await endToEndBus();
  await bus.round(messages);
  const rounds: RunFigures[] = [];
  for (let i = 0; i < timedRounds; i++) rounds.push(await bus.round(messages));
  await bus.close();
  process.stdout.write(`${JSON.stringify({ ...medianFigures(rounds), otelModules: openTelemetryModulesLoaded() })}\n`);
}
