import { afterEach, describe, expect, it } from 'vitest';
import { createTestMetro, fakeService, type FakeService, type TestMetro } from '../src/testing/index.js';
import { OrderPlaced, SendSms } from './helpers.js';

describe('test harness', () => {
  let metro: TestMetro;
  let sms: FakeService;
  afterEach(async () => {
    await sms.stop();
    await metro.stop();
  });

  it('fakeService records commands sent to it and can fail them or reply to requests', async () => {
    metro = createTestMetro({ service: 'notifications' });
    sms = await fakeService(metro.transport, 'sms');
    metro.on(OrderPlaced, async (order, ctx) => {
      await ctx.send(SendSms, { phone: '+44', text: `order ${order.orderId}` });
    });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    expect(sms.receivedOf(SendSms)).toEqual([{ phone: '+44', text: 'order 1' }]);

    sms.on(SendSms, { fail: new Error('provider down') });
    await metro.send(SendSms, { phone: '+1', text: 'x' });
    await sms.waitFor(2);
    expect(sms.failed.map((f) => f.error.message)).toEqual(['provider down']);

    sms.on('lookup', { reply: (data) => ({ echo: data }) });
    const reply = await metro.transport.request(
      {
        destination: { kind: 'command', service: 'sms' },
        body: new TextEncoder().encode(
          JSON.stringify({
            specversion: '1.0',
            id: 'r1',
            source: 't',
            type: 'lookup',
            time: new Date().toISOString(),
            kind: 'command',
            service: 'sms',
            data: { q: 1 },
          }),
        ),
        messageId: 'r1',
        contentType: 'application/cloudevents+json',
        headers: {},
      },
      { timeoutMs: 2000 },
    );
    expect(JSON.parse(new TextDecoder().decode(reply.body))).toEqual({ echo: { q: 1 } });
    await expect(sms.waitFor(10, 50)).rejects.toThrow(/received 3 of 10/);
  });
});
