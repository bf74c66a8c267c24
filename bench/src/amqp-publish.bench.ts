// Publish with publisher confirms, 1 KiB persistent messages into one queue, in batches of 1,000:
// Metro's AmqpTransport.publish (1,000 concurrent publishes awaited together) and the bus's
// metro.publish against raw amqplib on a confirm channel (1,000 sendToQueue, then waitForConfirms),
// and against raw amqplib publishing what an application would write by hand for an event: a
// JSON envelope (id, type, source, time, data) built and stringified per message. Every throughput
// row has a Node CPU per message row next to it, measured over the same timed runs.
import { randomBytes, randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { z } from 'zod';
import { createMetro, defineEvent, type OutgoingMessage } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import type { BenchResult } from './types.js';
import { cpuRow } from './support/cpu-row.js';
import { measureRun, type RunFigures } from './support/run-figures.js';

const URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const TOTAL = 20_000;
const BATCH = 1_000;
const ROUNDS = 5;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchResult[]> {
  const suffix = randomBytes(4).toString('hex');
  const queue = `bench-amqp-publish-${suffix}`;
  const topic = `bench-amqp-publish-topic-${suffix}`;
  const body = randomBytes(512).toString('hex'); // 1 KiB of text
  const bodyBytes = Buffer.from(body);

  const raw = await amqp.connect(URL);
  const ch = await raw.createConfirmChannel();
  await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });

  const transport = new AmqpTransport({ url: URL });
  await transport.declareQueue({ queue });

  const Sample = defineEvent({ topic, type: 'sample', schema: z.object({ text: z.string() }) });
  const busTransport = new AmqpTransport({ url: URL });
  const metro = createMetro({ service: queue, transport: busTransport });
  metro.on(Sample, () => undefined);
  await busTransport.declareQueue({ queue, bindings: [{ topic, pattern: '#' }] });
  await busTransport.start();

  // `mandatory`: what the transport sends (an unroutable publish must fail).
  function rawRound(mandatory = false): Promise<RunFigures> {
    return measureRun(TOTAL, async () => {
      for (let sent = 0; sent < TOTAL; sent += BATCH) {
        for (let i = 0; i < BATCH; i++)
          ch.sendToQueue(queue, bodyBytes, { persistent: true, mandatory, messageId: `r${sent + i}`, contentType: 'application/json' });
        await ch.waitForConfirms();
      }
    });
  }
  const rawMandatoryRound = (): Promise<RunFigures> => rawRound(true);

  async function rawEnvelope(): Promise<void> {
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      for (let i = 0; i < BATCH; i++) {
        const id = randomUUID();
        const envelope = {
          specversion: '1.0',
          id,
          source: queue,
          type: 'sample',
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          data: { text: body },
        };
        ch.publish(topic, 'sample', Buffer.from(JSON.stringify(envelope)), {
          persistent: true,
          mandatory: true,
          messageId: id,
          contentType: 'application/json',
        });
      }
      await ch.waitForConfirms();
    }
  }
  const rawEnvelopeRound = (): Promise<RunFigures> => measureRun(TOTAL, rawEnvelope);

  async function transportPublish(): Promise<void> {
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      const batch: Promise<void>[] = [];
      for (let i = 0; i < BATCH; i++) {
        const message: OutgoingMessage = {
          destination: { kind: 'queue', queue },
          body: bodyBytes,
          messageId: `m${sent + i}`,
          contentType: 'application/json',
          headers: {},
        };
        batch.push(transport.publish(message));
      }
      await Promise.all(batch);
    }
  }
  const transportRound = (): Promise<RunFigures> => measureRun(TOTAL, transportPublish);

  async function busPublish(): Promise<void> {
    for (let sent = 0; sent < TOTAL; sent += BATCH) {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < BATCH; i++) batch.push(metro.publish(Sample, { text: body }));
      await Promise.all(batch);
    }
  }
  const busRound = (): Promise<RunFigures> => measureRun(TOTAL, busPublish);

  const runs = {
    raw: [] as RunFigures[],
    transport: [] as RunFigures[],
    bus: [] as RunFigures[],
    envelope: [] as RunFigures[],
    busAgainstEnvelope: [] as RunFigures[],
    mandatory: [] as RunFigures[],
    transportAgainstMandatory: [] as RunFigures[],
  };
  try {
    // Warm-up (JIT, channel and exchange declarations) of all three, not measured.
    for (const warm of [() => rawRound(), transportRound, busRound, rawEnvelopeRound, rawMandatoryRound]) {
      await warm();
      await ch.purgeQueue(queue);
    }
    // The order rotates every round and each round starts on an empty, settled queue, so neither
    // side always runs right after the broker's clean-up of the other's messages.
    const rounds: Array<[RunFigures[], () => Promise<RunFigures>]> = [
      [runs.raw, () => rawRound()],
      [runs.transport, transportRound],
      [runs.bus, busRound],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < rounds.length; k++) {
        const [rates, fn] = rounds[(round + k) % rounds.length]!;
        rates.push(await fn());
        await ch.purgeQueue(queue);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    // The hand-built envelope and the mandatory baselines run after, each in its own alternation
    // (with the bus, with the transport), so the transport's goal is measured exactly as before.
    const pairs: Array<[[RunFigures[], () => Promise<RunFigures>], [RunFigures[], () => Promise<RunFigures>]]> = [
      [
        [runs.envelope, rawEnvelopeRound],
        [runs.busAgainstEnvelope, busRound],
      ],
      [
        [runs.mandatory, rawMandatoryRound],
        [runs.transportAgainstMandatory, transportRound],
      ],
    ];
    for (const [a, b] of pairs) {
      for (let round = 0; round < 3; round++) {
        for (const [rates, fn] of round % 2 === 0 ? [a, b] : [b, a]) {
          rates.push(await fn());
          await ch.purgeQueue(queue);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }
  } finally {
    await metro.stop();
    await transport.close();
    await ch.deleteQueue(queue).catch(() => undefined);
    await ch.deleteExchange(topic).catch(() => undefined);
    await raw.close();
  }
  const ratesOf = (xs: RunFigures[]): number[] => xs.map((x) => x.rate);
  const [rawRates, transportRates, busRates] = [ratesOf(runs.raw), ratesOf(runs.transport), ratesOf(runs.bus)];
  const [envelopeRates, busAgainstEnvelope] = [ratesOf(runs.envelope), ratesOf(runs.busAgainstEnvelope)];
  const [mandatoryRates, transportAgainstMandatory] = [ratesOf(runs.mandatory), ratesOf(runs.transportAgainstMandatory)];
  const baseline = median(rawRates);
  const cpu = (name: string, metro: RunFigures[], base: RunFigures[], baselineName: string): BenchResult =>
    cpuRow({
      name: `${name}, Node CPU per message`,
      metro,
      baseline: base,
      baselineName,
      notCounted: "RabbitMQ's",
      notes: 'the same timed runs as the row above',
    });
  const settings = `${TOTAL} x 1 KiB persistent, batches of ${BATCH}, median of ${ROUNDS} rounds`;
  const results: BenchResult[] = [
    {
      name: 'publish with confirms: AmqpTransport.publish',
      metro: Math.round(median(transportRates)),
      baseline: Math.round(baseline),
      unit: 'msg/s',
      baselineName: 'raw amqplib confirm channel',
      goal: '>= 0.9x raw',
      met: median(transportRates) >= 0.9 * baseline,
      notes: `${settings}; rounds raw ${rawRates.map(Math.round).join('/')}, transport ${transportRates.map(Math.round).join('/')}`,
    },
    cpu('publish with confirms: AmqpTransport.publish', runs.transport, runs.raw, 'raw amqplib confirm channel'),
    {
      name: 'publish with confirms: metro.publish (bus: zod validation + envelope + codec)',
      metro: Math.round(median(busRates)),
      baseline: Math.round(baseline),
      unit: 'msg/s',
      baselineName: 'raw amqplib confirm channel',
      notes: settings,
    },
    cpu('publish with confirms: metro.publish (bus: zod validation + envelope + codec)', runs.bus, runs.raw, 'raw amqplib confirm channel'),
    {
      name: 'publish with confirms: metro.publish vs raw amqplib publishing a hand-built JSON envelope',
      metro: Math.round(median(busAgainstEnvelope)),
      baseline: Math.round(median(envelopeRates)),
      unit: 'msg/s',
      baselineName: 'raw amqplib: envelope object + JSON.stringify + publish (mandatory) per message',
      notes: `${TOTAL} x 1 KiB persistent, batches of ${BATCH}, median of 3 alternated rounds; the baseline builds and encodes what metro.publish does, without validation, correlation or Metro's headers`,
    },
    cpu(
      'publish with confirms: metro.publish vs raw amqplib publishing a hand-built JSON envelope',
      runs.busAgainstEnvelope,
      runs.envelope,
      'raw amqplib: envelope object + JSON.stringify + publish (mandatory) per message',
    ),
    {
      name: 'publish with confirms: AmqpTransport.publish vs raw amqplib publishing mandatory',
      metro: Math.round(median(transportAgainstMandatory)),
      baseline: Math.round(median(mandatoryRates)),
      unit: 'msg/s',
      baselineName: 'raw amqplib confirm channel, mandatory (the same messages as the transport)',
      notes: `${TOTAL} x 1 KiB persistent, batches of ${BATCH}, median of 3 alternated rounds; the transport publishes every message mandatory, so this is the like-for-like baseline`,
    },
    cpu(
      'publish with confirms: AmqpTransport.publish vs raw amqplib publishing mandatory',
      runs.transportAgainstMandatory,
      runs.mandatory,
      'raw amqplib confirm channel, mandatory (the same messages as the transport)',
    ),
  ];
  for (const r of results) console.log(`${r.name}: ${r.metro} vs ${r.baseline} ${r.unit} (${(r.metro / r.baseline).toFixed(2)}x)`);
  return results;
}
