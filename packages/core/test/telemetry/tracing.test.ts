import { installTelemetry, parentOf } from '@metro/test-support/telemetry';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createMetro, InMemoryTransport, memoryDeferredStore, memoryFailureStore, silentLogger, type Logger, type Metro } from '../../src/index.js';
import { OrderPlaced, SendSms, waitUntil } from '../helpers.js';

const otel = installTelemetry();
afterAll(() => otel.shutdown());

const buses: Metro[] = [];
afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop()));
  otel.resetSpans();
});

function bus(service: string, transport: InMemoryTransport, logger: Logger = silentLogger): Metro {
  const metro = createMetro({
    service,
    transport,
    logger,
    failures: memoryFailureStore(),
    deferred: memoryDeferredStore(),
    retry: { attempts: 2, delay: '10ms' },
  });
  buses.push(metro);
  return metro;
}

function one(name: string): ReadableSpan {
  const found = otel.spansNamed(name);
  expect(
    found,
    `spans named "${name}" among ${otel
      .spans()
      .map((s) => s.name)
      .join(', ')}`,
  ).toHaveLength(1);
  return found[0]!;
}

describe('tracing on the in-memory transport', () => {
  it('publish -> process -> handler -> send -> process -> handler is one trace with the right parents, kinds and attributes', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const billing = bus('billing', transport);
    const sms = bus('sms', transport);
    let smsHeaders: Record<string, unknown> = {};
    billing.on(OrderPlaced, async (order, ctx) => {
      await ctx.send(SendSms, { phone: '1', text: order.orderId });
    });
    sms.handle(SendSms, (_sms, ctx) => {
      smsHeaders = { traceparent: ctx.envelope.traceparent };
    });
    await billing.start();
    await sms.start();
    const published = await billing.publish(OrderPlaced, { orderId: 'o-1' }, { correlationId: 'corr-1' });
    await otel.waitForSpans((spans) => spans.some((s) => s.name === 'process sms'));

    const publish = one('publish orders');
    const process = one('process orders');
    const handler = one('handler orders.placed#0');
    const send = one('send sms');
    const processSms = one('process sms');
    const handleSms = one('handler sms:send');
    expect(new Set([publish, process, handler, send, processSms, handleSms].map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(handler.kind).toBe(SpanKind.INTERNAL);
    expect(parentOf(process)).toBe(publish.spanContext().spanId);
    expect(parentOf(handler)).toBe(process.spanContext().spanId);
    expect(parentOf(send)).toBe(handler.spanContext().spanId);
    expect(parentOf(processSms)).toBe(send.spanContext().spanId);
    expect(parentOf(handleSms)).toBe(processSms.spanContext().spanId);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'memory',
      'messaging.operation.name': 'publish',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders',
      'messaging.rabbitmq.destination.routing_key': 'placed',
      'messaging.message.id': published.id,
      'messaging.message.conversation_id': 'corr-1',
    });
    expect(process.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'orders',
      'messaging.destination.subscription.name': 'billing',
      'messaging.message.id': published.id,
      'messaging.message.conversation_id': 'corr-1',
      'metro.attempt': 1,
      'metro.outcome': 'ok',
    });
    expect(send.attributes).toMatchObject({
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'sms',
      'messaging.message.conversation_id': 'corr-1',
    });
    // the envelope carries the send span's context too (codecs and transports without headers)
    expect(smsHeaders.traceparent).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`);
  });

  it("a batch handler runs in a 'batch <name>' span linked to each message's handler span; what it sends and logs is inside it; a failed batch has error status", async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const logs: Array<Record<string, unknown>> = [];
    const logger: Logger = { ...silentLogger, child: (bindings) => ({ ...silentLogger, info: () => void logs.push(bindings) }) };
    const billing = bus('billing', transport, logger);
    const sms = bus('sms', transport);
    sms.handle(SendSms, () => undefined);
    billing.onBatch(
      OrderPlaced,
      async (batch, ctx) => {
        ctx.logger.info({}, 'batch');
        if (batch.some((item) => item.data.orderId === 'boom')) throw new Error('the whole batch failed');
        ctx.fail(batch[0]!, new Error('first one refused'));
        await batch[1]!.context.send(SendSms, { phone: '1', text: `${batch.length}` });
      },
      { name: 'store', maxSize: 3, maxWait: '20ms', retry: { attempts: 1 } },
    );
    await billing.start();
    await sms.start();
    await Promise.all(['a', 'b', 'c'].map((orderId) => billing.publish(OrderPlaced, { orderId })));
    await otel.waitForSpans((spans) => spans.some((s) => s.name === 'process sms') && spans.filter((s) => s.name === 'handler store').length === 3);
    const batch = one('batch store');
    const handlers = otel.spansNamed('handler store');
    expect(batch.kind).toBe(SpanKind.INTERNAL);
    expect(parentOf(batch)).toBeUndefined(); // a trace of its own: a batch belongs to no one message
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(handlers.map((h) => h.spanContext().spanId).sort());
    expect(batch.attributes).toMatchObject({
      'metro.handler': 'store',
      'metro.service': 'billing',
      'messaging.batch.message_count': 3,
      'metro.batch.failed': 1,
    });
    expect(batch.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(parentOf(one('send sms'))).toBe(batch.spanContext().spanId);
    expect(logs.find((b) => b['batchSize'] === 3)).toMatchObject({ trace_id: batch.spanContext().traceId, span_id: batch.spanContext().spanId });
    // the item failed alone is its handler span's error; the other two handler spans are fine
    expect(handlers.filter((h) => h.status.code === SpanStatusCode.ERROR)).toHaveLength(1);

    otel.resetSpans();
    await billing.publish(OrderPlaced, { orderId: 'boom' });
    await otel.waitForSpans((spans) => spans.some((s) => s.name === 'batch store'));
    const failed = one('batch store');
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('a publish inside an application span is its child; the message headers carry the publish span', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const orders = bus('orders-svc', transport);
    const received: Array<Record<string, unknown>> = [];
    await transport.declareQueue({ queue: 'tap', bindings: [{ topic: 'orders', pattern: '#' }] });
    await transport.consume('tap', async (delivery) => {
      received.push({ ...delivery.headers });
      await delivery.ack();
    });
    const tracer = otel.tracerProvider.getTracer('test');
    await tracer.startActiveSpan('POST /orders', async (span) => {
      await orders.publish(OrderPlaced, { orderId: 'o-2' });
      span.end();
    });
    await waitUntil(() => received.length === 1);
    const http = one('POST /orders');
    const publish = one('publish orders');
    expect(parentOf(publish)).toBe(http.spanContext().spanId);
    expect(received[0]!.traceparent).toBe(`00-${publish.spanContext().traceId}-${publish.spanContext().spanId}-01`);
  });

  it('a failing handler: error status and exception on its span, the retry is a sibling linked to the first attempt, the failure keeps the trace id', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const billing = bus('billing-fail', transport);
    let calls = 0;
    billing.on(OrderPlaced, () => {
      calls++;
      throw new Error('card declined');
    });
    await billing.start();
    await billing.publish(OrderPlaced, { orderId: 'o-3' });
    await waitUntil(async () => (await billing.failures.list()).items.length === 1);
    expect(calls).toBe(2);
    const publish = one('publish orders');
    const processes = otel.spansNamed('process orders').sort((a, b) => Number(a.attributes['metro.attempt']) - Number(b.attributes['metro.attempt']));
    expect(processes.map((s) => s.attributes['metro.attempt'])).toEqual([1, 2]);
    const [first, second] = processes as [ReadableSpan, ReadableSpan];
    expect(parentOf(first)).toBe(publish.spanContext().spanId);
    expect(parentOf(second)).toBe(publish.spanContext().spanId);
    expect(second.links.map((l) => l.context.spanId)).toEqual([first.spanContext().spanId]);
    const handlers = otel.spansNamed('handler orders.placed#0');
    expect(handlers).toHaveLength(2);
    for (const h of handlers) {
      expect(h.status.code).toBe(SpanStatusCode.ERROR);
      expect(h.events.find((e) => e.name === 'exception')?.attributes?.['exception.message']).toBe('card declined');
    }
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    const [failure] = (await billing.failures.list()).items;
    expect(failure!.traceId).toBe(publish.spanContext().traceId);
  });

  it("the handler's logger carries trace_id and span_id of the handler span", async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const bindings: Array<Record<string, unknown>> = [];
    const logger: Logger = { ...silentLogger, child: (b) => (bindings.push(b), silentLogger) };
    const billing = bus('billing-log', transport, logger);
    billing.on(OrderPlaced, (_o, ctx) => ctx.logger.info({}, 'charging'));
    await billing.start();
    await billing.publish(OrderPlaced, { orderId: 'o-4' });
    await otel.waitForSpans((spans) => spans.some((s) => s.name === 'handler orders.placed#0'));
    const handler = one('handler orders.placed#0');
    expect(bindings.find((b) => b.handler === 'orders.placed#0')).toMatchObject({
      trace_id: handler.spanContext().traceId,
      span_id: handler.spanContext().spanId,
    });
  });

  it('a deferred message resumed and a failure retried by an operator: the new copy continues the operator span, linked to the original', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const billing = bus('billing-replay', transport);
    let fail = true;
    let deferredOnce = false;
    billing.on(
      OrderPlaced,
      async (order, ctx) => {
        if (order.orderId === 'defer-me' && !deferredOnce) {
          deferredOnce = true;
          await ctx.defer('waiting for stock');
          return;
        }
        if (order.orderId === 'fail-me' && fail) throw new Error('boom');
      },
      { retry: { attempts: 1 } },
    );
    await billing.start();
    await billing.publish(OrderPlaced, { orderId: 'defer-me' });
    await billing.publish(OrderPlaced, { orderId: 'fail-me' });
    await waitUntil(async () => (await billing.failures.list()).items.length === 1 && (await billing.deferred.list()).items.length === 1);
    const originals = otel.spansNamed('publish orders');
    expect(originals).toHaveLength(2);
    fail = false;
    otel.resetSpans();
    const tracer = otel.tracerProvider.getTracer('test');
    const [failure] = (await billing.failures.list()).items;
    const [deferred] = (await billing.deferred.list()).items;
    await tracer.startActiveSpan('admin retry', async (span) => {
      await billing.retryFailure(failure!.id);
      await billing.resumeDeferred(deferred!.seq);
      span.end();
    });
    await otel.waitForSpans((spans) => spans.filter((s) => s.name === 'process orders').length === 2);
    const admin = one('admin retry');
    const replays = otel.spansNamed('process orders');
    const originalIds = originals.map((s) => s.spanContext().spanId).sort();
    expect(replays.map((s) => parentOf(s))).toEqual([admin.spanContext().spanId, admin.spanContext().spanId]);
    expect(replays.map((s) => s.spanContext().traceId)).toEqual([admin.spanContext().traceId, admin.spanContext().traceId]);
    expect(replays.map((s) => s.links[0]?.context.spanId).sort()).toEqual(originalIds);
  });

  it('withoutLibraryInstrumentation suppresses tracing for a call through a wrapped library function only; an unwrapped one runs in the active context as is', async () => {
    const { context, createContextKey } = await import('@opentelemetry/api');
    // the key the SDK's suppressTracing() sets (what instrumentation-amqplib checks)
    const SUPPRESSED = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
    const isTracingSuppressed = (ctx: ReturnType<typeof context.active>): boolean => ctx.getValue(SUPPRESSED) === true;
    const { withoutLibraryInstrumentation } = await import('../../src/telemetry/index.js');
    const plain = (): boolean => isTracingSuppressed(context.active());
    const wrapped = Object.assign((): boolean => isTracingSuppressed(context.active()), { __wrapped: true });
    expect(withoutLibraryInstrumentation(() => plain(), plain)).toBe(false);
    expect(withoutLibraryInstrumentation(() => wrapped(), wrapped)).toBe(true);
    // without `through`, it always suppresses (the caller cannot tell)
    expect(withoutLibraryInstrumentation(() => plain())).toBe(true);
  });
});
