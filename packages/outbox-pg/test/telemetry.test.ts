import { installTelemetry, parentOf } from '@metro/test-support/telemetry';
import { createMetro, defineEvent, silentLogger, type Metro } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOutbox, createOutboxRelay, migrate } from '../src/index.js';
import { AMQP_URL, createTestDb, deleteAmqpTopology, dropSchema, uniqueSchema, waitFor, type TestDb } from './helpers.js';

const otel = installTelemetry();
const schema = uniqueSchema('otel');
const topic = `otel-orders-${schema}`;
const service = `otel-billing-${schema}`;
const OrderPlaced = defineEvent({ topic, type: 'placed', schema: z.object({ orderId: z.string() }) });
let t: TestDb;
let consumer: Metro;
const seen: string[] = [];

beforeAll(async () => {
  t = createTestDb();
  await migrate(t.db, { schema });
  consumer = createMetro({ service, transport: new AmqpTransport({ url: AMQP_URL, logger: silentLogger }), logger: silentLogger });
  consumer.on(OrderPlaced, (order) => void seen.push(order.orderId));
  await consumer.start();
});

afterAll(async () => {
  await consumer.stop();
  await deleteAmqpTopology({ queues: [service, `${service}.expired`], exchanges: [topic] });
  await dropSchema(t.db, schema);
  await t.db.destroy();
  await otel.shutdown();
});

function one(spans: ReadableSpan[], name: string, orderId?: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name && (orderId === undefined || s.attributes['messaging.message.id'] === orderId));
  expect(found, `${name} among ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0]!;
}

describe('the outbox and its relay on PostgreSQL and RabbitMQ', () => {
  it('keep the trace: request span -> create (row written) -> relay publish -> consumer process; metrics count the rows', async () => {
    const outbox = createOutbox({ db: t.db, schema, source: 'orders' });
    const tracer = otel.tracerProvider.getTracer('test');
    const ids: string[] = [];
    await tracer.startActiveSpan('POST /orders', async (span) => {
      await t.db.transaction().execute(async (trx) => {
        for (const orderId of ['o-1', 'o-2', 'o-3']) ids.push((await outbox.publish(trx, OrderPlaced, { orderId })).id);
      });
      span.end();
    });
    expect(await otel.metricSum('metro.outbox.pending')).toBe(0); // no relay running yet: no gauge
    const relay = createOutboxRelay({
      db: t.db,
      schema,
      transport: new AmqpTransport({ url: AMQP_URL, logger: silentLogger }),
      pollInterval: 50,
      logger: silentLogger,
    });
    await relay.start();
    try {
      await waitFor(() => seen.length === 3, 15_000, 'the three orders consumed');
      const spans = await otel.waitForSpans((all) => [`process ${topic}`, `publish ${topic}`].every((name) => all.filter((s) => s.name === name).length === 3));
      const request = one(spans, 'POST /orders');
      for (const id of ids) {
        const create = one(spans, `create ${topic}`, id);
        const publish = one(spans, `publish ${topic}`, id);
        const process = one(spans, `process ${topic}`, id);
        expect(create.kind).toBe(SpanKind.PRODUCER);
        expect(create.instrumentationScope.name).toBe('@metro/outbox-pg');
        expect(publish.instrumentationScope.name).toBe('@metro/outbox-pg');
        expect(parentOf(create)).toBe(request.spanContext().spanId);
        expect(parentOf(publish)).toBe(create.spanContext().spanId);
        expect(parentOf(process)).toBe(publish.spanContext().spanId);
        expect(new Set([request, create, publish, process].map((s) => s.spanContext().traceId)).size).toBe(1);
        expect(publish.attributes).toMatchObject({ 'messaging.system': 'rabbitmq', 'messaging.operation.type': 'send', 'messaging.destination.name': topic });
      }
      const where = { 'messaging.destination.name': topic };
      expect(await otel.metricSum('metro.outbox.relayed', where)).toBe(3);
      expect(await otel.metricSum('metro.outbox.lag', where)).toBe(3);
      expect(await otel.metricSum('messaging.client.sent.messages', { ...where, 'metro.outcome': 'ok' })).toBe(3);
      const pending = (await otel.collect()).filter((p) => p.name === 'metro.outbox.pending' && p.attributes['metro.outbox.schema'] === schema);
      expect(pending.map((p) => p.value)).toEqual([0]);
    } finally {
      await relay.stop();
    }
  });

  it('reports the rows still pending while the relay runs', async () => {
    const outbox = createOutbox({ db: t.db, schema, source: 'orders' });
    const stuck = defineEvent({ topic: `${topic}-nobody`, type: 'placed', schema: z.object({ n: z.number() }), unroutable: 'error' });
    await t.db.transaction().execute(async (trx) => {
      for (let n = 0; n < 4; n++) await outbox.publish(trx, stuck, { n });
    });
    const relay = createOutboxRelay({
      db: t.db,
      schema,
      transport: new AmqpTransport({ url: AMQP_URL, logger: silentLogger }),
      pollInterval: 50,
      maxAttempts: 100,
      retryDelay: '1m',
      logger: silentLogger,
    });
    await relay.start();
    try {
      const pending = (await otel.collect()).filter((p) => p.name === 'metro.outbox.pending' && p.attributes['metro.outbox.schema'] === schema);
      expect(pending.map((p) => p.value)).toEqual([4]);
    } finally {
      await relay.stop();
      await deleteAmqpTopology({ exchanges: [`${topic}-nobody`] });
    }
  });
});
