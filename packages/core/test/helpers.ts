import { z } from 'zod';
import {
  defineCommand,
  defineEvent,
  InMemoryTransport,
  PublishError,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type DeliveryHandler,
  type OutgoingMessage,
  type QueueDeclaration,
  type QueueStats,
  type ReplyMessage,
  type RequestOptions,
  type Transport,
  silentLogger,
} from '../src/index.js';

export const OrderPlaced = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ orderId: z.string(), total: z.number().optional() }) });
export const OrderShipped = defineEvent({ topic: 'orders', type: 'shipped', schema: z.object({ orderId: z.string() }) });
export const SendSms = defineCommand({ service: 'sms', type: 'send', schema: z.object({ phone: z.string(), text: z.string() }) });

export const encode = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A real InMemoryTransport whose publishes can be made to fail, as a broker that is down would
 * make them fail. Consumption is unaffected.
 */
export class FlakyTransport implements Transport {
  readonly name = 'flaky';
  failPublishes = false;
  publishAttempts = 0;
  constructor(readonly inner: InMemoryTransport = new InMemoryTransport({ logger: silentLogger })) {}
  start(): Promise<void> {
    return this.inner.start();
  }
  declareQueue(d: QueueDeclaration): Promise<void> {
    return this.inner.declareQueue(d);
  }
  async publish(m: OutgoingMessage): Promise<void> {
    this.publishAttempts++;
    if (this.failPublishes) throw new PublishError('broker unavailable (test)');
    return this.inner.publish(m);
  }
  consume(q: string, h: DeliveryHandler, o?: ConsumeOptions): Promise<Consumer> {
    return this.inner.consume(q, h, o);
  }
  request(m: OutgoingMessage, o: RequestOptions): Promise<ReplyMessage> {
    return this.inner.request(m, o);
  }
  inspectQueue(q: string): Promise<QueueStats | undefined> {
    return this.inner.inspectQueue(q);
  }
  deleteQueue(q: string): Promise<void> {
    return this.inner.deleteQueue(q);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A synthetic delivery that counts how it was settled. */
export function syntheticDelivery(body: Uint8Array, extra: Partial<Delivery> = {}): Delivery & { settled: string[] } {
  const settled: string[] = [];
  return {
    body,
    queue: 'svc',
    messageId: 'm-1',
    contentType: 'application/cloudevents+json',
    headers: {},
    redelivered: false,
    settled,
    ack: async () => void settled.push('ack'),
    requeue: async () => void settled.push('requeue'),
    reject: async () => void settled.push('reject'),
    ...extra,
  };
}

export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
