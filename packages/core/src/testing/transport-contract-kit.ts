import { randomBytes } from 'node:crypto';
import { it } from 'vitest';
import type { ConsumeOptions, Consumer, Delivery, Destination, OutgoingMessage, Transport } from '../transport.js';

/** The names one contract test used, handed to `cleanup` so a real broker can delete them. */
export interface TransportContractResources {
  readonly queues: ReadonlyArray<string>;
  readonly topics: ReadonlyArray<string>;
}

/** Options of `runTransportContract`. */
export interface TransportContractOptions {
  /** Multiplies every timing bound and wait. Default 1 (in-memory); 2-5 suits a networked broker. */
  readonly timeScale?: number;
  /** Called after each test (even a failed one) with the queues and topics it declared, to delete them. */
  readonly cleanup?: (resources: TransportContractResources) => Promise<void>;
}

/** Shared by every test of one `runTransportContract` call. */
export interface ContractContext {
  readonly makeTransport: () => Transport | Promise<Transport>;
  readonly scale: number;
  readonly cleanup: ((resources: TransportContractResources) => Promise<void>) | undefined;
  /** Random id of this suite run, part of every name. */
  readonly run: string;
}

/** What a contract test works with. Everything it opens is closed after it. */
export interface ContractFixture {
  /** A started transport made for this test. */
  readonly transport: Transport;
  /** A unique queue name. */
  queue(label: string): string;
  /** A unique topic name. */
  topic(label: string): string;
  /** A unique service name. */
  service(label: string): string;
  /** Scales a duration by the suite's `timeScale`. */
  ms(n: number): number;
  /** Consumes `queue` into a list; the default handler acks each delivery. */
  collect(queue: string, options?: ConsumeOptions, handle?: (d: Delivery) => Promise<void>): Promise<Collected>;
}

export interface Collected {
  readonly deliveries: Delivery[];
  readonly consumer: Consumer;
  /** Waits until at least `n` deliveries arrived (fails after a scaled bound). */
  count(n: number): Promise<Delivery[]>;
}

let counter = 0;

/** A unique name: suite run id, label, counter, random suffix. */
export function uniqueName(ctx: ContractContext, kind: string, label: string): string {
  counter++;
  return `metro-contract-${ctx.run}-${kind}-${label}-${counter}-${randomBytes(3).toString('hex')}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` every 10 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const encoder = new TextEncoder();

/** A message to `destination` with a UTF-8 (or byte) body and fresh id. */
export function message(destination: Destination, body: string | Uint8Array = 'x', extra: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    destination,
    body: typeof body === 'string' ? encoder.encode(body) : body,
    messageId: `m-${randomBytes(8).toString('hex')}`,
    contentType: 'application/octet-stream',
    headers: {},
    ...extra,
  };
}

export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** Settles `promise` and returns the error it rejected with (fails if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('Expected the promise to reject, but it resolved');
}

/** Registers one contract test: a fresh transport and unique names, all closed and cleaned after. */
export function contractTest(ctx: ContractContext, title: string, body: (f: ContractFixture) => Promise<void>, timeoutMs = 20_000): void {
  it(
    title,
    async () => {
      const transports: Transport[] = [];
      const consumers: Consumer[] = [];
      const queues: string[] = [];
      const topics: string[] = [];
      const open = async (): Promise<Transport> => {
        const t = await ctx.makeTransport();
        transports.push(t);
        await t.start();
        return t;
      };
      try {
        const transport = await open();
        const fixture: ContractFixture = {
          transport,
          queue: (label) => {
            const n = uniqueName(ctx, 'q', label);
            queues.push(n);
            return n;
          },
          topic: (label) => {
            const n = uniqueName(ctx, 't', label);
            topics.push(n);
            return n;
          },
          service: (label) => uniqueName(ctx, 's', label),
          ms: (n) => Math.round(n * ctx.scale),
          collect: async (queue, options, handle) => {
            const deliveries: Delivery[] = [];
            const consumer = await transport.consume(
              queue,
              async (d) => {
                deliveries.push(d);
                if (handle) await handle(d);
                else await d.ack();
              },
              options,
            );
            consumers.push(consumer);
            return {
              deliveries,
              consumer,
              count: async (n) => {
                await waitFor(() => deliveries.length >= n, 5000 * ctx.scale, `${n} deliveries on ${queue} (got ${deliveries.length})`);
                return deliveries;
              },
            };
          },
        };
        await body(fixture);
      } finally {
        await Promise.allSettled(consumers.map((c) => c.cancel()));
        await Promise.allSettled(transports.map((t) => t.close()));
        if (ctx.cleanup) await ctx.cleanup({ queues, topics });
      }
    },
    timeoutMs * ctx.scale,
  );
}
