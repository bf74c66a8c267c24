import { installTelemetry } from '@metro/test-support/telemetry';
import { afterAll, describe, expect, it } from 'vitest';
import { createMetro, InMemoryTransport, memoryDeferredStore, memoryFailureStore, memoryInbox, silentLogger } from '../../src/index.js';
import { OrderPlaced, waitUntil } from '../helpers.js';

const otel = installTelemetry();
afterAll(() => otel.shutdown());

describe('metrics on the in-memory transport', () => {
  it('counts published, consumed, failed, retried, deferred and inbox duplicates, and times handlers and publishes', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({
      service: 'metrics-billing',
      transport,
      logger: silentLogger,
      failures: memoryFailureStore(),
      deferred: memoryDeferredStore(),
      inbox: memoryInbox(),
      retry: { attempts: 2, delay: '10ms' },
    });
    metro.on(OrderPlaced, async (order, ctx) => {
      if (order.orderId.startsWith('fail')) throw new Error('no');
      if (order.orderId.startsWith('defer')) await ctx.defer();
    });
    metro.subscription('audit').on(OrderPlaced, () => undefined, { inbox: true, name: 'audit' });
    await metro.start();
    for (const orderId of ['ok-1', 'ok-2', 'ok-3', 'fail-1', 'defer-1']) await metro.publish(OrderPlaced, { orderId });
    await metro.publish(OrderPlaced, { orderId: 'ok-1' }, { id: 'same-id' });
    await metro.publish(OrderPlaced, { orderId: 'ok-1' }, { id: 'same-id' });
    await waitUntil(async () => (await metro.failures.list()).items.length === 1 && (await metro.deferred.list()).items.length === 1);
    await waitUntil(
      async () => (await otel.metricSum('messaging.client.consumed.messages', { 'messaging.destination.subscription.name': 'metrics-billing.audit' })) === 7,
    );
    await metro.stop();

    const dest = { 'messaging.destination.name': 'orders' };
    expect(await otel.metricSum('messaging.client.sent.messages', { ...dest, 'metro.outcome': 'ok' })).toBe(7);
    expect(await otel.metricSum('messaging.client.operation.duration', dest)).toBe(7);
    // 7 deliveries on the main queue plus the retry of fail-1; 7 on the audit queue
    expect(await otel.metricSum('messaging.client.consumed.messages', { 'messaging.destination.subscription.name': 'metrics-billing' })).toBe(8);
    expect(await otel.metricSum('messaging.client.consumed.messages', { 'metro.outcome': 'failed' })).toBe(2);
    expect(await otel.metricSum('metro.messages.retried')).toBe(1);
    expect(await otel.metricSum('metro.messages.failed', { 'metro.failure.reason': 'handler' })).toBe(1);
    expect(await otel.metricSum('metro.messages.deferred')).toBe(1);
    expect(await otel.metricSum('metro.inbox.duplicates', { 'metro.handler': 'audit' })).toBe(1);
    expect(await otel.metricSum('metro.handler.duration', { 'metro.handler': 'audit', 'metro.outcome': 'ok' })).toBe(7);
    expect(await otel.metricSum('metro.handler.duration', { 'metro.outcome': 'error' })).toBe(2);
    expect(await otel.metricSum('messaging.process.duration', { 'messaging.destination.subscription.name': 'metrics-billing' })).toBe(8);
  });
});
