// Dispatch cost of @metro/core: decode (CloudEvents JSON envelope, safe parse), validate with zod,
// route to 3 handlers, settle — driven with synthetic deliveries, no transport in the loop —
// against a hand-written baseline that does only JSON.parse, a switch on type, the same 3
// handler calls and the ack. Goal (issue): Metro's overhead at most 2x the baseline. Node CPU per
// message over the same rounds is a row of its own (median of the rounds, not the best).
import { z } from 'zod';
import { createEnvelope, createMetro, defineEvent, InMemoryTransport, jsonEnvelopeCodec, type Delivery } from '@metro/core';
import type { BenchResult } from './types.js';
import { cpuRow } from './support/cpu-row.js';
import { startTiming, type RunFigures } from './support/run-figures.js';

const OrderPlaced = defineEvent({
  topic: 'orders',
  type: 'placed',
  schema: z.object({ orderId: z.string(), customerId: z.string(), total: z.number(), currency: z.string().length(3) }),
});

const decoder = new TextDecoder();
const BODIES = 1024;

async function bodies(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < BODIES; i++) {
    const envelope = await createEnvelope(OrderPlaced, { orderId: `o-${i}`, customerId: `c-${i % 50}`, total: i * 1.5, currency: 'EUR' }, { source: 'bench' });
    out.push(jsonEnvelopeCodec.encode(envelope).body);
  }
  return out;
}

/** A synthetic delivery: methods on the prototype so building one costs both sides the same, and little. */
class SyntheticDelivery implements Delivery {
  readonly queue = 'bench';
  readonly topic = 'orders';
  readonly subject = 'placed';
  readonly messageId = '';
  readonly contentType = 'application/cloudevents+json';
  readonly headers = EMPTY_HEADERS;
  readonly redelivered = false;
  constructor(
    readonly body: Uint8Array,
    private readonly counter: { acks: number },
  ) {}
  ack(): Promise<void> {
    this.counter.acks++;
    return RESOLVED;
  }
  requeue(): Promise<void> {
    return RESOLVED;
  }
  reject(): Promise<void> {
    return RESOLVED;
  }
}
const EMPTY_HEADERS = Object.freeze({});
const RESOLVED = Promise.resolve();

function deliveryOf(body: Uint8Array, counter: { acks: number }): Delivery {
  return new SyntheticDelivery(body, counter);
}

type Dispatch = (delivery: Delivery) => Promise<void>;

async function measure(dispatch: Dispatch, data: Uint8Array[], total: number): Promise<RunFigures & { acks: number }> {
  const counter = { acks: 0 };
  const timing = startTiming();
  for (let i = 0; i < total; i++) await dispatch(deliveryOf(data[i % data.length]!, counter));
  const figures = timing.stop(total);
  if (counter.acks !== total) throw new Error(`expected ${total} acks, got ${counter.acks}`);
  return { ...figures, acks: counter.acks };
}

export async function run(): Promise<BenchResult[]> {
  const data = await bodies();
  let seen = 0;
  const h1 = (p: { total: number }): void => {
    seen += p.total > 0 ? 1 : 0;
  };
  const h2 = (p: { orderId: string }): void => {
    seen += p.orderId.length > 0 ? 1 : 0;
  };
  const h3 = (p: { customerId: string }): void => {
    seen += p.customerId.length > 0 ? 1 : 0;
  };

  // Baseline: JSON.parse + switch + 3 calls + ack.
  const baseline: Dispatch = async (delivery) => {
    const message = JSON.parse(decoder.decode(delivery.body)) as { type: string; data: { total: number; orderId: string; customerId: string } };
    switch (message.type) {
      case 'placed':
        h1(message.data);
        h2(message.data);
        h3(message.data);
        break;
      default:
        break;
    }
    await delivery.ack();
  };

  // Metro: the real dispatcher of a real bus (transport only constructed, never in the loop).
  const metro = createMetro({ service: 'bench', transport: new InMemoryTransport() });
  metro.on(OrderPlaced, h1);
  metro.on(OrderPlaced, h2);
  metro.on(OrderPlaced, h3);
  const dispatch = metro.dispatcher();

  const total = Number(process.env.BENCH_DISPATCH_MESSAGES ?? 30_000);
  const rounds = Number(process.env.BENCH_DISPATCH_ROUNDS ?? 16);
  // warm up both, then alternate short rounds and keep each side's best (robust to a shared, noisy machine)
  await measure(baseline, data, 20_000);
  await measure(dispatch, data, 20_000);
  let best = { metro: 0, baseline: 0 };
  const runs = { metro: [] as RunFigures[], baseline: [] as RunFigures[] };
  for (let round = 0; round < rounds; round++) {
    const b = await measure(baseline, data, total);
    const m = await measure(dispatch, data, total);
    runs.baseline.push(b);
    runs.metro.push(m);
    best = { metro: Math.max(best.metro, m.rate), baseline: Math.max(best.baseline, b.rate) };
  }
  if (seen === 0) throw new Error('handlers never ran');
  const failures = (await metro.failures.list()).items.length;
  if (failures !== 0) throw new Error(`dispatch recorded ${failures} failures`);
  await metro.stop();
  const ratio = best.baseline / best.metro;
  console.log(`core dispatch: metro ${Math.round(best.metro)} msg/s, baseline ${Math.round(best.baseline)} msg/s, overhead ${ratio.toFixed(2)}x`);
  return [
    {
      name: 'dispatch: decode + zod validate + route to 3 handlers + ack',
      metro: Math.round(best.metro),
      baseline: Math.round(best.baseline),
      unit: 'msg/s',
      baselineName: 'JSON.parse + switch + 3 calls + ack',
      higherIsBetter: true,
      goal: 'overhead <= 2x baseline',
      met: ratio <= 2,
      notes: `${total} msgs/round, best of ${rounds} alternating rounds, sequential await; overhead ${ratio.toFixed(2)}x`,
    },
    cpuRow({
      name: 'dispatch: decode + zod validate + route to 3 handlers + ack, Node CPU per message',
      metro: runs.metro,
      baseline: runs.baseline,
      baselineName: 'JSON.parse + switch + 3 calls + ack',
      notes: `${total} msgs/round, the same alternating rounds as the row above (no broker in the loop: all the work is in this process)`,
    }),
  ];
}
