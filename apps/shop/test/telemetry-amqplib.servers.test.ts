// What users of auto-instrumentation run: Metro's tracing with @opentelemetry/instrumentation-amqplib
// registered too. Spans must not double up (one publish span per publish, one process span per
// delivery) and each order must stay one trace.
import { randomUUID } from 'node:crypto';
import { installTelemetry, parentOf } from '@metro/test-support/telemetry';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import type { Shop } from '../src/shop.js';
import { playShopScenario } from './shop-scenario.js';
import { expectOrderTraces } from './trace-assertions.js';

const otel = installTelemetry({ propagator: 'w3c' });
// Registered before anything loads amqplib: the shop and its helpers are imported below, dynamically.
const unregister = registerInstrumentations({ instrumentations: [new AmqplibInstrumentation()], tracerProvider: otel.tracerProvider });
const { startShop } = await import('../src/shop.js');
const { dropShopServers, SHOP_AMQP_URL, SHOP_DATABASE_URL } = await import('./shop-servers.js');

const id = randomUUID().slice(0, 8);
const schema = `shop_amqplib_${id}`;
const prefix = `shopamqplib-${id}.`;
let shop: Shop | undefined;

afterAll(async () => {
  await shop?.stop();
  await dropShopServers(schema, prefix);
  unregister();
  await otel.shutdown();
});

describe('shop telemetry with @opentelemetry/instrumentation-amqplib registered', () => {
  it('no doubled spans: amqplib publishes add none, its consumer span is the process span; each order is still one trace', async () => {
    shop = await startShop({ amqpUrl: SHOP_AMQP_URL, databaseUrl: SHOP_DATABASE_URL, schema, prefix, reminderDelayMs: 4000 });
    await playShopScenario(shop);
    await otel.waitForSpans((spans) => spans.filter((s) => s.name === 'handler notifications:sms.send').length === 5, 15_000);
    const spans = otel.spans();
    const fromAmqplib = spans.filter((s) => s.instrumentationScope.name === '@opentelemetry/instrumentation-amqplib');
    // The instrumentation is live (it opened the consumer spans)...
    expect(fromAmqplib.length).toBeGreaterThan(0);
    // ...but no publish span of its own, and every consumer span of its is one Metro named and described.
    expect(fromAmqplib.filter((s) => s.kind === SpanKind.PRODUCER)).toEqual([]);
    // RPC replies are not messages Metro processes: the instrumentation's span of one is the child of the
    // server span whose context the reply carries (the same trace), not a trace of its own.
    const replies = fromAmqplib.filter((s) => s.name.startsWith('amq.rabbitmq.reply-to'));
    for (const reply of replies) expect(spans.find((s) => s.spanContext().spanId === parentOf(reply))?.attributes['rpc.method']).toBe('customers.get');
    const deliveries = fromAmqplib.filter((s) => !replies.includes(s));
    expect(deliveries.length).toBeGreaterThanOrEqual(9);
    const named = (s: (typeof deliveries)[number]): boolean =>
      (s.name.startsWith('process ') && s.attributes['metro.attempt'] !== undefined) || s.attributes['rpc.method'] === s.name;
    expect(deliveries.filter((s) => s.kind !== SpanKind.CONSUMER || !named(s)).map((s) => s.name)).toEqual([]);
    // One process span per delivery, one publish span per message.
    const perDelivery = new Map<string, number>();
    for (const s of spans.filter((x) => x.kind === SpanKind.CONSUMER && x.attributes['metro.attempt'] !== undefined)) {
      const key = `${String(s.attributes['messaging.message.id'])}@${String(s.attributes['messaging.destination.subscription.name'])}#${String(s.attributes['metro.attempt'])}`;
      perDelivery.set(key, (perDelivery.get(key) ?? 0) + 1);
    }
    expect([...perDelivery.values()].every((n) => n === 1)).toBe(true);
    expect(perDelivery.size).toBeGreaterThanOrEqual(9);
    const perPublish = new Map<string, number>();
    for (const s of spans.filter((x) => x.kind === SpanKind.PRODUCER && x.name.startsWith('publish '))) {
      const key = String(s.attributes['messaging.message.id']);
      perPublish.set(key, (perPublish.get(key) ?? 0) + 1);
    }
    expect([...perPublish.values()].every((n) => n === 1)).toBe(true);
    // And the traces are as without the instrumentation.
    expectOrderTraces(spans);
  });
});
