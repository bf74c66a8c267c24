// Metro's AmqpTransport against rascal (a popular amqplib wrapper) in the same run: publish with
// confirms (1 KiB persistent, mandatory, batches of 1,000 awaited together) and consume with acks
// (same prefetch), one queue, 20,000 messages per round; messages per second and Node CPU per
// message, each side over its own timed runs.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import rascal from 'rascal';
import { AmqpTransport } from '@metro/transport-amqp';
import type { BenchResult } from './types.js';
import { cpuRow } from './support/cpu-row.js';
import { metroConsumeFigures } from './support/metro-consume-figures.js';
import { measureRun, startTiming, type RunFigures, type Timing } from './support/run-figures.js';

const URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const TOTAL = 20_000;
const BATCH = 1_000;
const PREFETCH = 500;
const ROUNDS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface RascalPublication {
  on(event: 'success', cb: (messageId: string) => void): RascalPublication;
  on(event: 'error' | 'return', cb: (arg: unknown) => void): RascalPublication;
}
interface RascalSubscription {
  on(event: 'message', cb: (message: unknown, content: unknown, ackOrNack: () => void) => void): RascalSubscription;
  on(event: 'error', cb: (err: unknown) => void): RascalSubscription;
  cancel(): Promise<void>;
}
interface RascalBroker {
  publish(name: string, content: Buffer, overrides?: Record<string, unknown>): Promise<RascalPublication>;
  subscribe(name: string): Promise<RascalSubscription>;
  on(event: 'error', cb: (err: unknown) => void): void;
  shutdown(): Promise<void>;
}

export async function run(): Promise<BenchResult[]> {
  const queue = `bench-amqp-peer-${randomBytes(4).toString('hex')}`;
  const body = randomBytes(1024);
  const rawConnection = await amqp.connect(URL);
  const admin = await rawConnection.createChannel();

  const { BrokerAsPromised, withDefaultConfig } = rascal as unknown as {
    BrokerAsPromised: { create(config: unknown): Promise<RascalBroker> };
    withDefaultConfig(config: unknown): unknown;
  };
  const broker = await BrokerAsPromised.create(
    withDefaultConfig({
      vhosts: {
        '/': {
          connection: { url: URL },
          queues: { [queue]: { options: { durable: true, arguments: { 'x-queue-type': 'classic' } } } },
          publications: { bench: { queue, confirm: true, options: { persistent: true, mandatory: true } } },
          subscriptions: { bench: { queue, prefetch: PREFETCH } },
        },
      },
    }),
  );
  broker.on('error', () => undefined);
  const transport = new AmqpTransport({ url: URL });
  await transport.declareQueue({ queue });
  await transport.start();

  async function rascalPublishAll(): Promise<void> {
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < BATCH; i++) {
        batch.push(
          broker.publish('bench', body, { options: { messageId: `r${sent + i}`, contentType: 'application/octet-stream' } }).then(
            (publication) =>
              new Promise<void>((resolve, reject) => {
                publication
                  .on('success', () => resolve())
                  .on('error', reject)
                  .on('return', reject);
              }),
          ),
        );
      }
      await Promise.all(batch);
    }
  }
  const rascalPublish = (): Promise<RunFigures> => measureRun(TOTAL, rascalPublishAll);

  async function metroPublishAll(): Promise<void> {
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < BATCH; i++) {
        batch.push(
          transport.publish({ destination: { kind: 'queue', queue }, body, messageId: `m${sent + i}`, contentType: 'application/octet-stream', headers: {} }),
        );
      }
      await Promise.all(batch);
    }
  }
  const metroPublish = (): Promise<RunFigures> => measureRun(TOTAL, metroPublishAll);

  async function rascalConsume(): Promise<RunFigures> {
    let received = 0;
    let timing: Timing | undefined;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const subscription = await broker.subscribe('bench');
    subscription
      .on('message', (_m, _content, ackOrNack) => {
        if (received === 0) timing = startTiming();
        ackOrNack();
        if (++received === TOTAL) resolve();
      })
      .on('error', () => undefined);
    await done;
    const figures = timing!.stop(TOTAL - 1);
    await subscription.cancel();
    return figures;
  }

  const metroConsume = (): Promise<RunFigures> => metroConsumeFigures(transport, queue, TOTAL, PREFETCH);

  const runs = { rascalPub: [] as RunFigures[], metroPub: [] as RunFigures[], rascalCon: [] as RunFigures[], metroCon: [] as RunFigures[] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Each publish round leaves TOTAL messages for the consume round that follows it.
      runs.rascalPub.push(await rascalPublish());
      runs.metroCon.push(await metroConsume());
      runs.metroPub.push(await metroPublish());
      runs.rascalCon.push(await rascalConsume());
    }
  } finally {
    await transport.close();
    await broker.shutdown().catch(() => undefined);
    await admin.deleteQueue(queue).catch(() => undefined);
    await rawConnection.close();
  }
  const rates = {
    rascalPub: runs.rascalPub.map((x) => x.rate),
    metroPub: runs.metroPub.map((x) => x.rate),
    rascalCon: runs.rascalCon.map((x) => x.rate),
    metroCon: runs.metroCon.map((x) => x.rate),
  };
  const settings = `${TOTAL} x 1 KiB persistent, one queue, median of ${ROUNDS} rounds`;
  const results: BenchResult[] = [
    {
      name: 'publish with confirms vs rascal',
      metro: Math.round(median(rates.metroPub)),
      baseline: Math.round(median(rates.rascalPub)),
      unit: 'msg/s',
      baselineName: 'rascal 20 (confirm publication)',
      goal: 'ahead of rascal',
      met: median(rates.metroPub) > median(rates.rascalPub),
      notes: `${settings}, batches of ${BATCH}`,
    },
    cpuRow({
      name: 'publish with confirms vs rascal, Node CPU per message',
      metro: runs.metroPub,
      baseline: runs.rascalPub,
      baselineName: 'rascal 20 (confirm publication)',
      notCounted: "RabbitMQ's",
      notes: `batches of ${BATCH}, the same timed runs as the row above`,
    }),
    {
      name: 'consume with acks vs rascal',
      metro: Math.round(median(rates.metroCon)),
      baseline: Math.round(median(rates.rascalCon)),
      unit: 'msg/s',
      baselineName: 'rascal 20 (subscription + ackOrNack)',
      goal: 'ahead of rascal',
      met: median(rates.metroCon) > median(rates.rascalCon),
      notes: `${settings}, prefetch ${PREFETCH}`,
    },
    cpuRow({
      name: 'consume with acks vs rascal, Node CPU per message',
      metro: runs.metroCon,
      baseline: runs.rascalCon,
      baselineName: 'rascal 20 (subscription + ackOrNack)',
      notCounted: "RabbitMQ's",
      notes: `prefetch ${PREFETCH}, from the first delivery to the last`,
    }),
  ];
  for (const r of results) console.log(`${r.name}: ${r.metro} vs ${r.baseline} ${r.unit} (${(r.metro / r.baseline).toFixed(2)}x)`);
  return results;
}
