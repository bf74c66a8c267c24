// Metro on a RabbitMQ cluster: publish with confirms and consume with acks on a quorum queue of the
// local 3-node cluster (tooling/rabbitmq-cluster/cluster.sh, started here if it is not running and
// stopped again after), Metro's AmqpTransport({ urls, queueType: 'quorum' }) against raw amqplib on
// the same node and the same queue, rounds alternated in one run; messages per second and Node CPU
// per message, each side over its own timed runs.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import type { OutgoingMessage } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import type { BenchResult } from './types.js';
import { fillQueue } from './support/fill-queue.js';
import { cpuRow } from './support/cpu-row.js';
import { metroConsumeFigures } from './support/metro-consume-figures.js';
import { rawConsumeFigures } from './support/raw-consume-figures.js';
import { measureRun, type RunFigures } from './support/run-figures.js';

const NODES = [5681, 5682, 5683].map((port) => `amqp://guest:guest@127.0.0.1:${port}`);
const script = fileURLToPath(new URL('../../tooling/rabbitmq-cluster/cluster.sh', import.meta.url));
const TOTAL = 20_000;
const BATCH = 1_000;
const PREFETCH = 500;
const ROUNDS = 4;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Whether something listens on `port` of 127.0.0.1. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Starts the cluster unless its three nodes listen already; resolves whether it started it. */
async function ensureCluster(): Promise<boolean> {
  const up = await Promise.all([5681, 5682, 5683].map(listening));
  if (up.every(Boolean)) return false;
  await promisify(execFile)(script, ['start'], { timeout: 180_000 });
  return true;
}

export async function run(): Promise<BenchResult[]> {
  const started = await ensureCluster();
  // Both sides on the same node (c1), on the same quorum queue (replicated on all three nodes).
  const node = NODES[0]!;
  const queue = `bench-amqp-cluster-${randomBytes(4).toString('hex')}`;
  const body = randomBytes(1024);
  const raw = await amqp.connect(node);
  const ch = await raw.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const transport = new AmqpTransport({ urls: [node], queueType: 'quorum' });
  await transport.declareQueue({ queue });
  await transport.start();

  async function rawPublishAll(): Promise<void> {
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      for (let i = 0; i < BATCH; i++)
        ch.sendToQueue(queue, body, { persistent: true, mandatory: true, messageId: `r${sent + i}`, contentType: 'application/json' });
      await ch.waitForConfirms();
    }
  }
  const rawPublish = (): Promise<RunFigures> => measureRun(TOTAL, rawPublishAll);

  async function metroPublishAll(): Promise<void> {
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < BATCH; i++) {
        const message: OutgoingMessage = {
          destination: { kind: 'queue', queue },
          body,
          messageId: `m${sent + i}`,
          contentType: 'application/json',
          headers: {},
        };
        batch.push(transport.publish(message));
      }
      await Promise.all(batch);
    }
  }
  const metroPublish = (): Promise<RunFigures> => measureRun(TOTAL, metroPublishAll);

  const rawConsume = (): Promise<RunFigures> => rawConsumeFigures(raw, queue, TOTAL, PREFETCH);

  const metroConsume = (): Promise<RunFigures> => metroConsumeFigures(transport, queue, TOTAL, PREFETCH);

  const runs = {
    rawPublish: [] as RunFigures[],
    metroPublish: [] as RunFigures[],
    rawConsume: [] as RunFigures[],
    metroConsume: [] as RunFigures[],
  };
  try {
    await rawPublish(); // warm-up: JIT, the queue's first writes
    await ch.purgeQueue(queue);
    await metroPublish();
    await ch.purgeQueue(queue);
    for (let round = 0; round < ROUNDS; round++) {
      // Publish: who goes first alternates; each starts on an empty queue.
      for (const side of round % 2 === 0 ? (['rawPublish', 'metroPublish'] as const) : (['metroPublish', 'rawPublish'] as const)) {
        runs[side].push(await (side === 'rawPublish' ? rawPublish() : metroPublish()));
        await ch.purgeQueue(queue);
      }
      // Consume: 20,000 waiting, filled by raw amqplib the same way for both.
      for (const side of round % 2 === 0 ? (['metroConsume', 'rawConsume'] as const) : (['rawConsume', 'metroConsume'] as const)) {
        await fillQueue(ch, queue, body, TOTAL);
        runs[side].push(await (side === 'rawConsume' ? rawConsume() : metroConsume()));
      }
    }
  } finally {
    await transport.close();
    await ch.deleteQueue(queue).catch(() => undefined);
    await raw.close();
    if (started) await promisify(execFile)(script, ['stop'], { timeout: 120_000 });
  }
  const rates = {
    rawPublish: runs.rawPublish.map((x) => x.rate),
    metroPublish: runs.metroPublish.map((x) => x.rate),
    rawConsume: runs.rawConsume.map((x) => x.rate),
    metroConsume: runs.metroConsume.map((x) => x.rate),
  };
  const settings = `3-node local cluster (c1-c3 on one machine), quorum queue, both sides connected to c1; ${TOTAL} x 1 KiB persistent per round, median of ${ROUNDS} alternated rounds`;
  const publish: BenchResult = {
    name: 'cluster publish with confirms (quorum queue): AmqpTransport.publish',
    metro: Math.round(median(rates.metroPublish)),
    baseline: Math.round(median(rates.rawPublish)),
    unit: 'msg/s',
    baselineName: 'raw amqplib confirm channel, batches of 1,000 + waitForConfirms',
    goal: '>= 0.9x raw',
    met: median(rates.metroPublish) >= 0.9 * median(rates.rawPublish),
    notes: `${settings}; batches of ${BATCH}; rounds raw ${rates.rawPublish.map(Math.round).join('/')}, metro ${rates.metroPublish.map(Math.round).join('/')}`,
  };
  const consume: BenchResult = {
    name: 'cluster consume with acks (quorum queue): AmqpTransport.consume',
    metro: Math.round(median(rates.metroConsume)),
    baseline: Math.round(median(rates.rawConsume)),
    unit: 'msg/s',
    baselineName: 'raw amqplib consume + ack',
    goal: '>= 0.9x raw',
    met: median(rates.metroConsume) >= 0.9 * median(rates.rawConsume),
    notes: `${settings}; prefetch ${PREFETCH} (Metro concurrency ${PREFETCH}); rounds raw ${rates.rawConsume.map(Math.round).join('/')}, metro ${rates.metroConsume.map(Math.round).join('/')}`,
  };
  const publishCpu = cpuRow({
    name: 'cluster publish with confirms (quorum queue): AmqpTransport.publish, Node CPU per message',
    metro: runs.metroPublish,
    baseline: runs.rawPublish,
    baselineName: 'raw amqplib confirm channel, batches of 1,000 + waitForConfirms',
    notCounted: "the three RabbitMQ nodes'",
    notes: 'the same timed runs as the row above',
  });
  const consumeCpu = cpuRow({
    name: 'cluster consume with acks (quorum queue): AmqpTransport.consume, Node CPU per message',
    metro: runs.metroConsume,
    baseline: runs.rawConsume,
    baselineName: 'raw amqplib consume + ack',
    notCounted: "the three RabbitMQ nodes'",
    notes: 'the same timed runs as the row above, from the first delivery to the last',
  });
  return [publish, publishCpu, consume, consumeCpu];
}
