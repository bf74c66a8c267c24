// The proof: the shop on RabbitMQ + PostgreSQL with the OpenTelemetry SDK in memory.
// One order is one trace from its HTTP request through the outbox, the relay, billing's handler,
// the RPC call and notifications' SMS handler; the reminder's firing links back to it; the
// metrics count what the scenario did.
import { randomUUID } from 'node:crypto';
import { installTelemetry, parentOf } from '@metro/test-support/telemetry';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { startShop, type Shop } from '../src/shop.js';
import { playShopScenario } from './shop-scenario.js';
import { dropShopServers, SHOP_AMQP_URL, SHOP_DATABASE_URL } from './shop-servers.js';
import { expectOrderTraces, traceOf } from './trace-assertions.js';

const otel = installTelemetry();
const id = randomUUID().slice(0, 8);
const schema = `shop_otel_${id}`;
const prefix = `shopotel-${id}.`;
let shop: Shop | undefined;

afterAll(async () => {
  await shop?.stop();
  await dropShopServers(schema, prefix);
  await otel.shutdown();
});

describe('shop telemetry on RabbitMQ + PostgreSQL', () => {
  it('one trace per order from the HTTP request to the SMS, with correct parents and links; metrics count the scenario', async () => {
    shop = await startShop({ amqpUrl: SHOP_AMQP_URL, databaseUrl: SHOP_DATABASE_URL, schema, prefix, reminderDelayMs: 4000 });
    await playShopScenario(shop);
    // every SMS handler span has ended (the scenario reads the database, spans end a moment later)
    await otel.waitForSpans((spans) => spans.filter((s) => s.name === 'handler notifications:sms.send').length === 3, 15_000);

    const { traces, declined } = expectOrderTraces(otel.spans());
    const paidSms = otel.spans().filter((s) => s.name === 'handler notifications:sms.send');

    // The blocked card: the handler's span records the exception, the failure keeps the trace id,
    // and the reminder fires in a trace of its own linked to the `schedule` call of that request.
    const charge = declined.one('handler charge-order');
    expect(charge.events.find((e) => e.name === 'exception')?.attributes?.['exception.type']).toBe('PaymentDeclinedError');
    const [failure] = (await shop.billing.metro.failures.list({ service: 'billing', handler: 'charge-order' } as never)).items;
    expect(failure?.traceId).toBe(charge.spanContext().traceId);
    const schedule = declined.one('schedule orders.reminder');
    const fire = otel.spans().find((s) => s.name === 'fire orders.reminder' && s.links.some((l) => l.context.spanId === schedule.spanContext().spanId));
    expect(fire, 'the firing of the declined order reminder').toBeDefined();
    expect(parentOf(fire!)).toBeUndefined();
    const reminder = traceOf(otel.spans(), fire!.spanContext().traceId);
    const relayedReminder = reminder.one('publish orders', SpanKind.PRODUCER, fire);
    const reminderProcess = reminder.one('process orders', SpanKind.CONSUMER, relayedReminder);
    expect(reminderProcess.links.map((l) => l.context.spanId)).toEqual([schedule.spanContext().spanId]);
    const reminderSms = reminder.one('send notifications', SpanKind.PRODUCER);
    reminder.one('process notifications', SpanKind.CONSUMER, reminderSms);
    expect(paidSms.filter((s) => s.spanContext().traceId === fire!.spanContext().traceId)).toHaveLength(1);

    const rpcCalls = traces.flatMap((t) => t.all('customers.get', SpanKind.CLIENT));
    expect(rpcCalls).toHaveLength(shop.billing.customerCalls());

    // Metrics: what the scenario did, counted.
    const orders = { 'messaging.destination.name': 'orders', 'metro.outcome': 'ok' };
    // 3 orders.placed and 1 reminder through the relay, 2 orders.paid from billing's handler
    expect(await otel.metricSum('messaging.client.sent.messages', { ...orders, 'messaging.operation.name': 'publish' })).toBe(6);
    expect(await otel.metricSum('messaging.client.sent.messages', { 'messaging.destination.name': 'notifications', 'messaging.operation.name': 'send' })).toBe(
      3,
    );
    expect(await otel.metricSum('metro.outbox.relayed', { 'messaging.destination.name': 'orders' })).toBe(4);
    expect(await otel.metricSum('messaging.client.consumed.messages', { 'messaging.destination.subscription.name': 'billing' })).toBe(3);
    expect(
      await otel.metricSum('messaging.client.consumed.messages', { 'messaging.destination.subscription.name': 'notifications', 'metro.outcome': 'ok' }),
    ).toBe(4);
    expect(await otel.metricSum('metro.messages.failed', { 'metro.failure.reason': 'handler' })).toBe(1);
    expect(await otel.metricSum('metro.scheduler.lateness', { 'metro.schedule.name': 'orders.reminder' })).toBe(1);
    expect(await otel.metricSum('metro.handler.duration', { 'metro.handler': 'charge-order', 'metro.outcome': 'error' })).toBe(1);
    expect(await otel.metricSum('rpc.client.call.duration', { 'rpc.method': 'customers.get', 'metro.outcome': 'ok' })).toBe(shop.billing.customerCalls());
  });
});
