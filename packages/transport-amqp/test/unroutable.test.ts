import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigurationError,
  defineCommand,
  defineEvent,
  silentLogger,
  UnroutableError,
  type ConsumeOptions,
  type Consumer,
  type DeliveryHandler,
  type HeaderValue,
  type Logger,
  type Metro,
} from '@metro/core';
import { AmqpTransport } from '../src/index.js';
import { AMQP_URL, sleep, unique, waitFor } from './support/broker.js';
import { BusFixture } from './support/bus-fixture.js';

const fixture = new BusFixture();
const service = (label: string): string => fixture.service(label);
const topic = (label: string): string => fixture.topic(label);
function metroFor(name: string, logger: Logger = silentLogger, transport: AmqpTransport = new AmqpTransport({ url: AMQP_URL, logger: silentLogger })): Metro {
  return fixture.metro(name, { logger, transport });
}
/** An AmqpTransport that keeps the headers of every delivery, as the bus receives them. */
class HeaderKeepingTransport extends AmqpTransport {
  readonly delivered: Array<Readonly<Record<string, HeaderValue>>> = [];
  override consume(queue: string, onDelivery: DeliveryHandler, options?: ConsumeOptions): Promise<Consumer> {
    return super.consume(
      queue,
      (delivery) => {
        this.delivered.push(delivery.headers);
        return onDelivery(delivery);
      },
      options,
    );
  }
}
/** A logger that keeps its warnings. */
function warnings(): Logger & { lines: Array<{ obj: Record<string, unknown>; msg: string | undefined }> } {
  const lines: Array<{ obj: Record<string, unknown>; msg: string | undefined }> = [];
  return { lines, debug() {}, info() {}, error() {}, warn: (obj, msg) => void lines.push({ obj, msg }) };
}
const DEAD_LETTER_HEADER = /^x-(death$|first-death-|last-death-)/;

beforeAll(() => fixture.open());
afterAll(() => fixture.close());

describe('unroutable events on RabbitMQ (the bus applies the policy)', () => {
  it('an event nobody subscribes to is accepted by default: publish resolves, warned once per destination, counted in stats()', async () => {
    const Nobody = defineEvent({ topic: topic('nobody'), type: 'listens', schema: z.object({ n: z.number() }) });
    const logger = warnings();
    const publisher = metroFor(service('publisher'), logger);
    await publisher.start();
    const first = await publisher.publish(Nobody, { n: 1 });
    await publisher.publish(Nobody, { n: 2 });
    expect(publisher.stats().unroutable).toEqual({ accepted: 2, byDestination: { [`${Nobody.topic}.listens`]: 2 } });
    const about = logger.lines.filter((l) => l.msg?.includes('published to no queue'));
    expect(about).toHaveLength(1);
    expect(about[0]!.obj).toMatchObject({ messageId: first.id, destination: `${Nobody.topic}.listens` });
  });

  it("'error' (by definition or by publish) rejects with UnroutableError; accept by publish overrides the definition", async () => {
    const t = topic('strict');
    const MustArrive = defineEvent({ topic: t, type: 'must-arrive', schema: z.object({}), unroutable: 'error' });
    const Nobody = defineEvent({ topic: t, type: 'listens', schema: z.object({}) });
    const publisher = metroFor(service('strict'));
    await publisher.start();
    await expect(publisher.publish(MustArrive, {})).rejects.toBeInstanceOf(UnroutableError);
    await expect(publisher.publish(Nobody, {}, { unroutable: 'error' })).rejects.toBeInstanceOf(UnroutableError);
    await publisher.publish(MustArrive, {}, { unroutable: 'accept' });
    expect(publisher.stats().unroutable.accepted).toBe(1);
  });

  it('a command nobody receives stays an error; accept is refused for commands', async () => {
    const Absent = defineCommand({ service: unique('absent'), type: 'do', schema: z.object({}) });
    const sender = metroFor(service('sender'));
    await sender.start();
    await expect(sender.send(Absent, {})).rejects.toBeInstanceOf(UnroutableError);
    await expect(sender.send(Absent, {}, { unroutable: 'accept' })).rejects.toBeInstanceOf(ConfigurationError);
    expect(sender.stats().unroutable.accepted).toBe(0);
  });

  it('the publisher may start before the consumer: the early event is accepted (and dropped), the later one is delivered', async () => {
    const Placed = defineEvent({ topic: topic('early'), type: 'placed', schema: z.object({ n: z.number() }) });
    const publisher = metroFor(service('early-pub'));
    await publisher.start();
    await publisher.publish(Placed, { n: 1 });
    const consumer = metroFor(service('late-sub'));
    const got: number[] = [];
    consumer.on(Placed, (p) => void got.push(p.n));
    await consumer.start();
    await publisher.publish(Placed, { n: 2 });
    await waitFor(() => got.length === 1, 10_000, 'the later event');
    await sleep(100);
    expect(got).toEqual([2]);
    expect(publisher.stats().unroutable.accepted).toBe(1);
    expect((await consumer.failures.list()).items).toHaveLength(0);
  });
});

describe('failure records on RabbitMQ keep no broker dead-letter headers', () => {
  it('a handler that fails through the delay queues ends in the failure store with no x-death / x-first-death-* / x-last-death-* headers', async () => {
    const Placed = defineEvent({ topic: topic('dl'), type: 'placed', schema: z.object({ n: z.number() }) });
    const name = service('dl');
    const transport = new HeaderKeepingTransport({ url: AMQP_URL, logger: silentLogger });
    const metro = metroFor(name, silentLogger, transport);
    let calls = 0;
    metro.on(
      Placed,
      () => {
        calls++;
        throw new Error('always broken');
      },
      { name: 'broken', retry: { attempts: 3, backoff: 'fixed', delay: '100ms' } },
    );
    await metro.start();
    await metro.publish(Placed, { n: 1 }, { headers: { tenant: 'eu' } });
    await waitFor(async () => (await metro.failures.list()).items.length === 1, 15_000, 'a failure record');
    const [failure] = (await metro.failures.list()).items;
    expect(failure).toMatchObject({ reason: 'handler', handler: 'broken', attempts: 3 });
    expect(calls).toBe(3);
    expect(failure!.headers).toMatchObject({ tenant: 'eu', 'metro-topic': Placed.topic });
    expect(Object.keys(failure!.headers).filter((k) => DEAD_LETTER_HEADER.test(k))).toEqual([]);
    // The broker did add them to the copies that came back through the delay queue.
    expect(transport.delivered).toHaveLength(3);
    expect(transport.delivered[2]).toMatchObject({ 'x-first-death-reason': 'expired' });
  });

  it('a command that expired in the broker is recorded as expired, without the dead-letter headers', async () => {
    const smsName = service('dl-sms');
    const SendSms = defineCommand({ service: smsName, type: 'send', schema: z.object({ text: z.string() }), expiresIn: '150ms' });
    const setup = new AmqpTransport({ url: AMQP_URL, logger: silentLogger });
    await setup.declareQueue({ queue: smsName, commandsFor: smsName });
    await setup.close();
    const sender = metroFor(service('dl-sender'));
    await sender.start();
    await sender.send(SendSms, { text: 'hi' });
    await sleep(500);
    const sms = metroFor(smsName);
    sms.handle(SendSms, () => undefined);
    await sms.start();
    await waitFor(async () => (await sms.failures.list()).items.length === 1, 10_000, 'the expired failure');
    const [failure] = (await sms.failures.list()).items;
    expect(failure).toMatchObject({ reason: 'expired' });
    expect(Object.keys(failure!.headers).filter((k) => DEAD_LETTER_HEADER.test(k))).toEqual([]);
  });
});
