// The proof: the shop on RabbitMQ + PostgreSQL with the OpenTelemetry SDK in memory.
// One order is one trace from its HTTP request through the outbox, the relay, the order saga,
// billing's handler, the RPC call and notifications' SMS handler; the payment timeouts' firings
// link back to the saga steps that asked for them; the metrics count what the scenario did.
import { randomUUID } from 'node:crypto';
import { installTelemetry } from '@metro/test-support/telemetry';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, describe, expect, it } from 'vitest';
import { startShop, type Shop } from '../src/shop.js';
import { playShopScenario } from './shop-scenario.js';
import { dropShopServers, SHOP_AMQP_URL, SHOP_DATABASE_URL } from './shop-servers.js';
import { expectOrderTraces, expectTimeoutTrace } from './trace-assertions.js';

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
  it('one trace per order from the HTTP request through the order saga to the SMS, with correct parents and links; metrics count the scenario', async () => {
    shop = await startShop({ amqpUrl: SHOP_AMQP_URL, databaseUrl: SHOP_DATABASE_URL, schema, prefix, reminderDelayMs: 4000 });
    await playShopScenario(shop);
    // every SMS handler span has ended (the scenario reads the database, spans end a moment later)
    await otel.waitForSpans((spans) => spans.filter((s) => s.name === 'handler notifications:sms.send').length === 5, 15_000);

    const { traces, unpaid } = expectOrderTraces(otel.spans());

    // The bank that never answers: each attempt's handler span records the exception, the failure
    // keeps the trace id, and the saga's payment timeout fires twice, each in a trace of its own
    // linked to the `schedule` call that asked for it: the reminder, then the cancellation.
    const charges = unpaid.all('handler charge-order');
    expect(charges.map((c) => c.events.find((e) => e.name === 'exception')?.attributes?.['exception.type'])).toEqual(
      charges.map(() => 'PaymentProviderUnavailableError'),
    );
    const [failure] = (await shop.billing.metro.failures.list({ service: 'billing', handler: 'charge-order' } as never)).items;
    expect(failure?.traceId).toBe(unpaid.one('POST /orders').spanContext().traceId);
    const reminder = expectTimeoutTrace(otel.spans(), unpaid.one('schedule orders:payment-due'));
    const cancellation = expectTimeoutTrace(otel.spans(), reminder.trace.one('schedule orders:payment-due', SpanKind.INTERNAL, reminder.step));
    expect(cancellation.trace.all('schedule orders:payment-due')).toEqual([]);

    const rpcCalls = traces.flatMap((t) => t.all('customers.get', SpanKind.CLIENT));
    expect(rpcCalls).toHaveLength(shop.billing.customerCalls());

    // Metrics: what the scenario did, counted.
    const orders = { 'messaging.destination.name': 'orders', 'metro.outcome': 'ok' };
    // 4 orders.placed through the relay; 2 orders.paid and 1 orders.payment-declined from billing's handler
    expect(await otel.metricSum('messaging.client.sent.messages', { ...orders, 'messaging.operation.name': 'publish' })).toBe(7);
    // 2 payment timeouts (commands to orders) through the relay
    expect(await otel.metricSum('messaging.client.sent.messages', { ...orders, 'messaging.operation.name': 'send' })).toBe(2);
    // 4 payment.request commands to billing and 5 SMS commands, all written by the saga and sent by the relay
    expect(await otel.metricSum('messaging.client.sent.messages', { 'messaging.destination.name': 'billing', 'messaging.operation.name': 'send' })).toBe(4);
    expect(await otel.metricSum('messaging.client.sent.messages', { 'messaging.destination.name': 'notifications', 'messaging.operation.name': 'send' })).toBe(
      5,
    );
    expect(await otel.metricSum('metro.outbox.relayed', { 'messaging.destination.name': 'orders' })).toBe(6);
    // 4 payment requests, the unpaid one delivered 3 times (2 retries)
    expect(await otel.metricSum('messaging.client.consumed.messages', { 'messaging.destination.subscription.name': 'billing' })).toBe(6);
    // orders' saga: 4 orders.placed, 3 answers from billing, 2 timeouts
    expect(await otel.metricSum('messaging.client.consumed.messages', { 'messaging.destination.subscription.name': 'orders', 'metro.outcome': 'ok' })).toBe(9);
    expect(
      await otel.metricSum('messaging.client.consumed.messages', { 'messaging.destination.subscription.name': 'notifications', 'metro.outcome': 'ok' }),
    ).toBe(5);
    expect(await otel.metricSum('metro.messages.failed', { 'metro.failure.reason': 'handler' })).toBe(1);
    expect(await otel.metricSum('metro.scheduler.lateness', { 'metro.schedule.name': 'orders:payment-due' })).toBe(2);
    expect(await otel.metricSum('metro.handler.duration', { 'metro.handler': 'charge-order', 'metro.outcome': 'error' })).toBe(charges.length);
    expect(await otel.metricSum('rpc.client.call.duration', { 'rpc.method': 'customers.get', 'metro.outcome': 'ok' })).toBe(shop.billing.customerCalls());
  });
});
