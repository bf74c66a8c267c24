// Consume with acks: 20,000 x 1 KiB persistent messages pre-filled into one queue, then consumed
// and acked one by one: Metro's AmqpTransport.consume (delivery.ack(), batched into multiple-acks
// by the transport) against raw amqplib consume + channel.ack, the same prefetch for both.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { AmqpTransport } from '@metro/transport-amqp';
import type { BenchResult } from './types.js';
import { fillQueue } from './support/fill-queue.js';
import { metroConsumeRate } from './support/metro-consume-rate.js';
import { rawConsumeRate } from './support/raw-consume-rate.js';

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

  const rawRound = (): Promise<number> => rawConsumeRate(raw, queue, TOTAL, PREFETCH);

  const metroRound = (): Promise<number> => metroConsumeRate(transport, queue, TOTAL, PREFETCH);

  const rawRates: number[] = [];
  const metroRates: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await fillQueue(setup, queue, body, TOTAL);
      rawRates.push(await rawRound());
      await fillQueue(setup, queue, body, TOTAL);
      metroRates.push(await metroRound());
    }
  } finally {
    await transport.close();
    await setup.deleteQueue(queue).catch(() => undefined);
    await raw.close();
  }
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
  return [result];
}
