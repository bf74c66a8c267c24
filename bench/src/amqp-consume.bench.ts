// Consume with acks: 20,000 x 1 KiB persistent messages pre-filled into one queue, then consumed
// and acked one by one: Metro's AmqpTransport.consume (delivery.ack(), batched into multiple-acks
// by the transport) against raw amqplib consume + channel.ack, the same prefetch for both; messages
// per second and Node CPU per message, each from the first delivery to the last.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { AmqpTransport } from '@metro/transport-amqp';
import type { BenchResult } from './types.js';
import { fillQueue } from './support/fill-queue.js';
import { cpuRow } from './support/cpu-row.js';
import { metroConsumeFigures } from './support/metro-consume-figures.js';
import { rawConsumeFigures } from './support/raw-consume-figures.js';
import type { RunFigures } from './support/run-figures.js';

const URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const TOTAL = 20_000;
const PREFETCH = 500;
const ROUNDS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchResult[]> {
  const queue = `bench-amqp-consume-${randomBytes(4).toString('hex')}`;
  const body = randomBytes(1024);
  const raw = await amqp.connect(URL);
  const setup = await raw.createConfirmChannel();
  await setup.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
  const transport = new AmqpTransport({ url: URL });
  await transport.declareQueue({ queue });
  await transport.start();

  const rawRound = (): Promise<RunFigures> => rawConsumeFigures(raw, queue, TOTAL, PREFETCH);

  const metroRound = (): Promise<RunFigures> => metroConsumeFigures(transport, queue, TOTAL, PREFETCH);

  const rawRuns: RunFigures[] = [];
  const metroRuns: RunFigures[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await fillQueue(setup, queue, body, TOTAL);
      rawRuns.push(await rawRound());
      await fillQueue(setup, queue, body, TOTAL);
      metroRuns.push(await metroRound());
    }
  } finally {
    await transport.close();
    await setup.deleteQueue(queue).catch(() => undefined);
    await raw.close();
  }
  const rawRates = rawRuns.map((x) => x.rate);
  const metroRates = metroRuns.map((x) => x.rate);
  const result: BenchResult = {
    name: 'consume with acks: AmqpTransport.consume',
    metro: Math.round(median(metroRates)),
    baseline: Math.round(median(rawRates)),
    unit: 'msg/s',
    baselineName: 'raw amqplib consume + ack',
    goal: '>= 0.9x raw',
    met: median(metroRates) >= 0.9 * median(rawRates),
    notes: `${TOTAL} x 1 KiB persistent, prefetch ${PREFETCH} (Metro concurrency ${PREFETCH}), median of ${ROUNDS} rounds; rounds raw ${rawRates.map(Math.round).join('/')}, metro ${metroRates.map(Math.round).join('/')}`,
  };
  console.log(`${result.name}: ${result.metro} vs ${result.baseline} ${result.unit} (${(result.metro / result.baseline).toFixed(2)}x) ${result.notes}`);
  const cpu = cpuRow({
    name: 'consume with acks: AmqpTransport.consume, Node CPU per message',
    metro: metroRuns,
    baseline: rawRuns,
    baselineName: 'raw amqplib consume + ack',
    notCounted: "RabbitMQ's",
    notes: `${TOTAL} x 1 KiB persistent, prefetch ${PREFETCH}, from the first delivery to the last`,
  });
  console.log(`${cpu.name}: ${cpu.metro} vs ${cpu.baseline} ${cpu.unit}`);
  return [result, cpu];
}
