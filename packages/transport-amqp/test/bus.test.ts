import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CLOUDEVENTS_JSON, defineCommand, defineEvent, type Metro, type MetroOptions } from '@metro/core';
import { AmqpTransport } from '../src/index.js';
import { AMQP_URL, sleep, waitFor } from './support/broker.js';
import { BusFixture } from './support/bus-fixture.js';

const fixture = new BusFixture();
beforeAll(() => fixture.open());
afterAll(() => fixture.close());
const service = (label: string): string => fixture.service(label);
const topic = (label: string): string => fixture.topic(label);
const metroFor = (name: string, options: Partial<MetroOptions> = {}): Metro => fixture.metro(name, options);

describe('the bus (createMetro) on RabbitMQ', () => {
  it('retries a failing handler with delays through the delay queues, then succeeds', async () => {
    const Placed = defineEvent({ topic: topic('orders'), type: 'placed', schema: z.object({ orderId: z.string() }) });
    const billing = metroFor(service('billing'));
    const attempts: Array<{ attempt: number; at: number }> = [];
    billing.on(
      Placed,
      async (_payload, ctx) => {
        attempts.push({ attempt: ctx.attempt, at: Date.now() });
        if (ctx.attempt < 3) throw new Error('transient');
      },
      { retry: { attempts: 3, backoff: 'fixed', delay: '300ms' } },
    );
    await billing.start();
    await billing.publish(Placed, { orderId: '1' });
    await waitFor(() => attempts.length === 3, 15_000, '3 attempts');
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(290);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(290);
    await sleep(300);
    expect((await billing.failures.list()).items).toHaveLength(0);
  });

  it('exhausted retries become a failure record; the message leaves the queue', async () => {
    const Placed = defineEvent({ topic: topic('orders'), type: 'placed', schema: z.object({ orderId: z.string() }) });
    const name = service('fails');
    const metro = metroFor(name);
    let calls = 0;
    metro.on(
      Placed,
      () => {
        calls++;
        throw new Error('always broken');
      },
      { name: 'broken', retry: { attempts: 2, backoff: 'fixed', delay: '100ms' } },
    );
    await metro.start();
    await metro.publish(Placed, { orderId: '2' });
    await waitFor(async () => (await metro.failures.list()).items.length === 1, 15_000, 'a failure record');
    const [failure] = (await metro.failures.list()).items;
    expect(failure).toMatchObject({ reason: 'handler', handler: 'broken', attempts: 2, queue: name });
    expect(failure!.error.message).toBe('always broken');
    expect(calls).toBe(2);
    await waitFor(async () => (await metro.transport.inspectQueue(name))?.messages === 0, 5000, 'an empty queue');
  });

  it('a command that expires in the broker still ends as an "expired" failure record, never handled', async () => {
    const smsName = service('sms');
    const SendSms = defineCommand({ service: smsName, type: 'send', schema: z.object({ text: z.string() }), expiresIn: '150ms' });
    // The service queue exists (as the bus declares it) but the service is down.
    const setup = new AmqpTransport({ url: AMQP_URL });
    await setup.declareQueue({ queue: smsName, commandsFor: smsName });
    await setup.close();
    const sender = metroFor(service('sender'));
    await sender.start();
    await sender.send(SendSms, { text: 'hi' });
    await sleep(500); // expires in the queue: RabbitMQ moves it to the companion queue
    const sms = metroFor(smsName);
    let handled = 0;
    sms.handle(SendSms, () => void handled++);
    await sms.start();
    await waitFor(async () => (await sms.failures.list()).items.length === 1, 10_000, 'the expired failure');
    const [failure] = (await sms.failures.list()).items;
    expect(failure).toMatchObject({ reason: 'expired', type: 'send' });
    expect(failure!.error.code).toBe('MESSAGE_EXPIRED');
    expect(handled).toBe(0);
  });

  it('bad input from a raw client (not JSON, wrong schema, huge, no headers, unknown type) becomes failures; the consumer stays up', async () => {
    const name = service('inbox');
    const Task = defineCommand({ service: name, type: 'task', schema: z.object({ n: z.number() }) });
    const metro = metroFor(name, { maxMessageBytes: 256 * 1024 });
    const handled: number[] = [];
    metro.handle(Task, (payload) => void handled.push(payload.n));
    await metro.start();
    const envelope = (id: string, type: string, data: unknown) =>
      Buffer.from(
        JSON.stringify({
          specversion: '1.0',
          id,
          source: 'raw',
          type,
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          kind: 'command',
          service: name,
          data,
        }),
      );
    const ch = fixture.broker.channel;
    ch.sendToQueue(name, Buffer.from('{"not json'), { messageId: 'bad-json', contentType: CLOUDEVENTS_JSON });
    ch.sendToQueue(name, envelope('bad-schema', 'task', { n: 'nope' }), { messageId: 'bad-schema', contentType: CLOUDEVENTS_JSON });
    ch.sendToQueue(name, envelope('huge', 'task', { n: 1, pad: 'x'.repeat(600 * 1024) }), { messageId: 'huge', contentType: CLOUDEVENTS_JSON });
    ch.sendToQueue(name, Buffer.from([0xde, 0xad, 0xbe, 0xef])); // no properties, no headers at all
    ch.sendToQueue(name, envelope('unknown-type', 'mystery', {}), { messageId: 'unknown-type', contentType: CLOUDEVENTS_JSON });
    ch.sendToQueue(name, envelope('good', 'task', { n: 7 }), { messageId: 'good', contentType: CLOUDEVENTS_JSON });
    await waitFor(async () => (await metro.failures.list()).items.length === 5 && handled.length === 1, 15_000, '5 failures and 1 handled');
    const { items } = await metro.failures.list({ limit: 50 });
    const reasons = items.map((f) => f.reason).sort();
    expect(reasons).toEqual(['decode', 'decode', 'no-handler', 'oversized', 'validation'].sort());
    expect(items.find((f) => f.messageId === 'bad-schema')?.reason).toBe('validation');
    expect(items.find((f) => f.messageId === 'unknown-type')?.reason).toBe('no-handler');
    expect(items.find((f) => f.messageId === 'huge')?.reason).toBe('oversized');
    expect(handled).toEqual([7]);
    await waitFor(async () => (await metro.transport.inspectQueue(name))?.messages === 0, 5000, 'an empty queue');
    // Still consuming:
    await metro.send(Task, { n: 8 });
    await waitFor(() => handled.length === 2, 5000, 'a later command');
  });

  it('a regex subject on an external exchange, through a named subscription, filters in process', async () => {
    const external = topic('metro-demo');
    await fixture.broker.channel.assertExchange(external, 'topic', { durable: true });
    const name = service('demo');
    const metro = metroFor(name);
    fixture.queues(`${name}.audit`);
    const seen: unknown[] = [];
    metro.subscription('audit').on({ topic: external, subject: /^MetroDemo\/Type\/.*$/, external: true }, (data) => void seen.push(data));
    await metro.start();
    const body = (type: string) =>
      Buffer.from(
        JSON.stringify({
          specversion: '1.0',
          id: `${type}-${Math.random()}`,
          source: 'py',
          type,
          time: new Date().toISOString(),
          datacontenttype: 'application/json',
          kind: 'event',
          topic: external,
          data: { type },
        }),
      );
    fixture.broker.channel.publish(external, 'MetroDemo/Type/Created', body('MetroDemo/Type/Created'), { contentType: CLOUDEVENTS_JSON });
    fixture.broker.channel.publish(external, 'Other/Thing', body('Other/Thing'), { contentType: CLOUDEVENTS_JSON });
    await waitFor(() => seen.length === 1, 10_000, 'the matching event');
    await sleep(300);
    expect(seen).toEqual([{ type: 'MetroDemo/Type/Created' }]);
  });
});
