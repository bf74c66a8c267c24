import { installTelemetry, parentOf } from '@metro/test-support/telemetry';
import { createMetro, InMemoryTransport, silentLogger, type Metro } from '@metro/core';
import { createOutboxRelay, type OutboxRelay } from '@metro/outbox-pg';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, createSchedulerWorker, type SchedulerWorker } from '../src/index.js';
import { createTestDb, Reminder, type TestDb } from './helpers.js';

const otel = installTelemetry();
let t: TestDb;
let consumer: Metro;
let relay: OutboxRelay;
let worker: SchedulerWorker;
const seen: string[] = [];

beforeAll(async () => {
  t = await createTestDb('sched_otel');
  const transport = new InMemoryTransport({ logger: silentLogger });
  consumer = createMetro({ service: 'reminders', transport, logger: silentLogger, closeTransport: false });
  consumer.on(Reminder, (r) => void seen.push(r.orderId));
  await consumer.start();
  relay = createOutboxRelay({ db: t.db, schema: t.schema, transport, pollInterval: 50, logger: silentLogger });
  worker = createSchedulerWorker({ db: t.db, schema: t.schema, pollInterval: 50, logger: silentLogger });
  await relay.start();
  await worker.start();
});

afterAll(async () => {
  await worker.stop();
  await relay.stop();
  await consumer.stop();
  await t.close();
  await otel.shutdown();
});

function one(name: string): ReadableSpan {
  const found = otel.spansNamed(name);
  expect(
    found,
    `${name} among ${otel
      .spans()
      .map((s) => s.name)
      .join(', ')}`,
  ).toHaveLength(1);
  return found[0]!;
}

describe('scheduler telemetry', () => {
  it('a firing starts its own trace linked to the schedule call; the message continues it to the consumer; lateness is measured', async () => {
    const scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'shop' });
    const tracer = otel.tracerProvider.getTracer('test');
    await tracer.startActiveSpan('POST /orders', async (span) => {
      await scheduler.schedule(undefined, Reminder, { orderId: 'r-1' }, { delay: 100 });
      span.end();
    });
    await otel.waitForSpans((spans) => spans.some((s) => s.name === 'process orders') && spans.some((s) => s.name === 'publish orders'), 15_000);
    expect(seen).toEqual(['r-1']);
    const request = one('POST /orders');
    const call = one('schedule orders.reminder');
    const fire = one('fire orders.reminder');
    const publish = one('publish orders');
    const process = one('process orders');
    expect(parentOf(call)).toBe(request.spanContext().spanId);
    expect(call.instrumentationScope.name).toBe('@metro/scheduler');
    expect(parentOf(fire)).toBeUndefined();
    expect(fire.spanContext().traceId).not.toBe(call.spanContext().traceId);
    expect(fire.links.map((l) => l.context.spanId)).toEqual([call.spanContext().spanId]);
    expect(parentOf(publish)).toBe(fire.spanContext().spanId);
    expect(parentOf(process)).toBe(publish.spanContext().spanId);
    expect(process.links.map((l) => l.context.spanId)).toEqual([call.spanContext().spanId]);
    expect(await otel.metricSum('metro.scheduler.lateness', { 'metro.schedule.name': 'orders.reminder' })).toBe(1);
  });
});
