import { afterEach, describe, expect, it } from 'vitest';
import { currentCorrelation, withCorrelation, type Envelope, type Logger } from '../src/index.js';
import { createTestMetro, fakeService, type TestMetro } from '../src/testing/index.js';
import { OrderPlaced, OrderShipped, SendSms } from './helpers.js';

function captureLogger(lines: Array<Record<string, unknown>>, bindings: Record<string, unknown> = {}): Logger {
  const write = (obj: Record<string, unknown>, msg?: string) => void lines.push({ ...bindings, ...obj, msg });
  return { debug: write, info: write, warn: write, error: write, child: (b) => captureLogger(lines, { ...bindings, ...b }) };
}

async function deepInTheCallTree(metro: TestMetro, orderId: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 1));
  await metro.publish(OrderShipped, { orderId });
}

describe('correlation', () => {
  let metro: TestMetro;
  afterEach(async () => {
    await metro.stop();
  });

  it('ctx.publish, ctx.send and metro.publish inside the handler tree carry correlationid and set causationid; logs carry the ids', async () => {
    const lines: Array<Record<string, unknown>> = [];
    metro = createTestMetro({ service: 'corr', logger: captureLogger(lines) });
    const sms = await fakeService(metro.transport, 'sms');
    const shipped: Envelope[] = [];
    let inHandler: ReturnType<typeof currentCorrelation>;
    metro.on(OrderPlaced, async (p, ctx) => {
      inHandler = currentCorrelation();
      ctx.logger.info({ step: 'handling' }, 'handling order');
      await ctx.send(SendSms, { phone: '+1', text: p.orderId });
      await deepInTheCallTree(metro, p.orderId);
    });
    metro.on(OrderShipped, (_p, ctx) => void shipped.push(ctx.envelope));
    await metro.start();
    const origin = await withCorrelation({ correlationId: 'req-123', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, () =>
      metro.publish(OrderPlaced, { orderId: '1' }),
    );
    await metro.drain();
    await sms.waitFor(1);
    expect(origin.correlationid).toBe('req-123');
    expect(origin.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(inHandler).toMatchObject({ correlationId: 'req-123', causationId: origin.id });
    const command = sms.received[0]!.envelope;
    expect(command).toMatchObject({ correlationid: 'req-123', causationid: origin.id, traceparent: origin.traceparent });
    expect(shipped[0]).toMatchObject({ correlationid: 'req-123', causationid: origin.id });
    const log = lines.find((l) => l.step === 'handling');
    expect(log).toMatchObject({ correlationId: 'req-123', messageId: origin.id, service: 'corr' });
    await sms.stop();
  });

  it('a publish outside any context starts a new correlation with its own id', async () => {
    metro = createTestMetro({ service: 'corr2' });
    metro.on(OrderPlaced, () => undefined);
    await metro.start();
    const env = await metro.publish(OrderPlaced, { orderId: '1' });
    expect(env.correlationid).toBe(env.id);
    expect(env.causationid).toBeUndefined();
    expect(withCorrelation('abc', () => currentCorrelation()?.correlationId)).toBe('abc');
  });
});
