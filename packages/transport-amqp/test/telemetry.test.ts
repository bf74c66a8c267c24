import { installTelemetry, parentOf } from '@metro/test-support/telemetry';
import { TcpProxy } from '@metro/test-support';
import { defineEvent, InMemoryFailureStore, silentLogger } from '@metro/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AmqpTransport } from '../src/index.js';
import { BusFixture } from './support/bus-fixture.js';
import { waitFor } from './support/broker.js';

const otel = installTelemetry();
const fixture = new BusFixture();
beforeAll(() => fixture.open());
afterAll(async () => {
  await fixture.close();
  await otel.shutdown();
});

function processOf(messageId: string): ReadableSpan[] {
  return otel.spans().filter((s) => s.name.startsWith('process ') && s.attributes['messaging.message.id'] === messageId);
}

function publishSpans(messageId: string): ReadableSpan[] {
  return otel.spans().filter((s) => s.name.startsWith('publish ') && s.attributes['messaging.message.id'] === messageId);
}

function publishOf(messageId: string): ReadableSpan {
  const [span] = publishSpans(messageId);
  if (span === undefined) throw new Error(`no publish span for ${messageId}`);
  return span;
}

/** The consumer may finish before the publisher's confirm arrives: wait for both spans. */
function bothEnded(messageId: string, deliveries = 1): boolean {
  return processOf(messageId).length === deliveries && publishSpans(messageId).length === 1;
}

describe('trace context on RabbitMQ', () => {
  it('travels in the AMQP headers: the consumer process span is the child of the publish span, with RabbitMQ attributes', async () => {
    const topic = fixture.topic('tel-orders');
    const Placed = defineEvent({ topic, type: 'placed', schema: z.object({ id: z.string() }) });
    const consumer = fixture.metro(fixture.service('tel-billing'), { logger: silentLogger });
    const headers: Array<Record<string, unknown>> = [];
    consumer.on(Placed, () => undefined);
    await consumer.start();
    await fixture.broker.channel.assertQueue(`${topic}-tap`, { exclusive: true });
    fixture.queues(`${topic}-tap`);
    await fixture.broker.channel.bindQueue(`${topic}-tap`, topic, '#');
    await fixture.broker.channel.consume(`${topic}-tap`, (msg) => msg && headers.push(msg.properties.headers ?? {}), { noAck: true });
    const publisher = fixture.metro(fixture.service('tel-orders-svc'), { logger: silentLogger });
    const sent = await publisher.publish(Placed, { id: '1' }, { correlationId: 'c-amqp' });
    await waitFor(() => bothEnded(sent.id) && headers.length === 1);
    const publish = publishOf(sent.id);
    const [process] = processOf(sent.id) as [ReadableSpan];
    expect(publish.name).toBe(`publish ${topic}`);
    expect(process.name).toBe(`process ${topic}`);
    expect(parentOf(process)).toBe(publish.spanContext().spanId);
    expect(process.spanContext().traceId).toBe(publish.spanContext().traceId);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.rabbitmq.destination.routing_key': 'placed',
      'messaging.message.conversation_id': 'c-amqp',
    });
    expect(process.attributes).toMatchObject({ 'messaging.system': 'rabbitmq', 'messaging.destination.name': topic, 'metro.outcome': 'ok' });
    expect(headers[0]!.traceparent).toBe(`00-${publish.spanContext().traceId}-${publish.spanContext().spanId}-01`);
  });

  it('survives a retry through the delay queues: attempt 2 is in the same trace, linked to attempt 1', async () => {
    const topic = fixture.topic('tel-retry');
    const Placed = defineEvent({ topic, type: 'placed', schema: z.object({ id: z.string() }) });
    const failures = new InMemoryFailureStore();
    const consumer = fixture.metro(fixture.service('tel-retry-billing'), { logger: silentLogger, failures });
    let calls = 0;
    consumer.on(
      Placed,
      () => {
        if (++calls === 1) throw new Error('transient');
      },
      { retry: { attempts: 3, delay: '200ms' } },
    );
    await consumer.start();
    const sent = await consumer.publish(Placed, { id: '2' });
    await waitFor(() => bothEnded(sent.id, 2), 15_000);
    const publish = publishOf(sent.id);
    const [first, second] = processOf(sent.id).sort((a, b) => Number(a.attributes['metro.attempt']) - Number(b.attributes['metro.attempt'])) as [
      ReadableSpan,
      ReadableSpan,
    ];
    expect([first.attributes['metro.attempt'], second.attributes['metro.attempt']]).toEqual([1, 2]);
    expect(second.spanContext().traceId).toBe(publish.spanContext().traceId);
    expect(parentOf(second)).toBe(publish.spanContext().spanId);
    expect(second.links.map((l) => l.context.spanId)).toEqual([first.spanContext().spanId]);
    expect(second.attributes['metro.outcome']).toBe('ok');
    expect((await failures.list()).items).toHaveLength(0);
  });

  it('survives a connection cut: a message published while the consumer reconnects is still in its trace; reconnects are counted', async () => {
    const proxy = await TcpProxy.start();
    const topic = fixture.topic('tel-cut');
    const Placed = defineEvent({ topic, type: 'placed', schema: z.object({ id: z.string() }) });
    const consumer = fixture.metro(fixture.service('tel-cut-billing'), {
      logger: silentLogger,
      transport: new AmqpTransport({ url: proxy.url(), reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, logger: silentLogger }),
    });
    try {
      const seen: string[] = [];
      consumer.on(Placed, (p) => void seen.push(p.id));
      await consumer.start();
      const publisher = fixture.metro(fixture.service('tel-cut-orders'), { logger: silentLogger });
      const before = await otel.metricSum('metro.connection.reconnects');
      await publisher.publish(Placed, { id: 'before' });
      await waitFor(() => seen.includes('before'));
      proxy.cut();
      const during = await publisher.publish(Placed, { id: 'during' });
      await waitFor(() => seen.includes('during') && bothEnded(during.id), 15_000);
      const [process] = processOf(during.id) as [ReadableSpan];
      expect(parentOf(process)).toBe(publishOf(during.id).spanContext().spanId);
      expect(process.spanContext().traceId).toBe(publishOf(during.id).spanContext().traceId);
      expect(await otel.metricSum('metro.connection.reconnects')).toBeGreaterThanOrEqual(before + 1);
      // every connection reports 1 once the cut one is back (the publisher's may still be reconnecting lazily a moment)
      let states: Array<{ value: unknown }> = [];
      await waitFor(async () => {
        states = (await otel.collect()).filter((p) => p.name === 'metro.connection.state');
        return states.length >= 2 && states.every((p) => p.value === 1);
      }, 15_000);
      expect(states.length).toBeGreaterThanOrEqual(2);
    } finally {
      await consumer.stop();
      await proxy.close();
    }
  });
});
