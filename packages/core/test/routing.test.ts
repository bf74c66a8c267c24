import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileSubjectPattern, ConfigurationError, defineEvent, UnroutableError, type Envelope } from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { OrderPlaced, OrderShipped, SendSms } from './helpers.js';

describe('subject patterns', () => {
  it('matches AMQP wildcards and treats everything else literally', () => {
    expect(compileSubjectPattern('placed.*')('placed.eu')).toBe(true);
    expect(compileSubjectPattern('placed.*')('placed')).toBe(false);
    expect(compileSubjectPattern('placed.*')('placed.eu.x')).toBe(false);
    expect(compileSubjectPattern('a.#')('a')).toBe(true);
    expect(compileSubjectPattern('a.#')('a.b.c')).toBe(true);
    expect(compileSubjectPattern('#.z')('z')).toBe(true);
    expect(compileSubjectPattern('#.z')('x.y.z')).toBe(true);
    expect(compileSubjectPattern('#.z')('x.y')).toBe(false);
    expect(compileSubjectPattern('a.#.z')('a.z')).toBe(true);
    expect(compileSubjectPattern('a.#.z')('a.b.c.z')).toBe(true);
    expect(compileSubjectPattern('*.b.#')('a.b')).toBe(true);
    expect(compileSubjectPattern('#')('anything.at.all')).toBe(true);
    expect(compileSubjectPattern('price[$]')('price[$]')).toBe(true);
    expect(compileSubjectPattern('price[$]')('price$')).toBe(false);
    expect(compileSubjectPattern('a.b*')('a.bc')).toBe(false);
    expect(compileSubjectPattern('a.b*')('a.b*')).toBe(true);
    expect(compileSubjectPattern(/^Metro\/Type\/.*$/)('Metro/Type/X')).toBe(true);
    expect(compileSubjectPattern(/^Metro\/Type\/.*$/g)('Metro/Type/X')).toBe(true);
  });
});

describe('routing through the bus', () => {
  let metros: TestMetro[] = [];
  afterEach(async () => {
    await Promise.all(metros.map((m) => m.stop()));
    metros = [];
  });
  const make = (service: string, transport?: TestMetro['transport']): TestMetro => {
    const m = createTestMetro({ service, ...(transport ? { transport } : {}) });
    metros.push(m);
    return m;
  };

  it('runs the handlers of one message in priority, then subscription, order', async () => {
    const metro = make('billing');
    const order: string[] = [];
    metro.on(OrderPlaced, () => void order.push('first'));
    metro.on({ topic: 'orders', subject: 'placed' }, () => void order.push('second'));
    metro.on(OrderPlaced, () => void order.push('urgent'), { priority: 10 });
    metro.on({ topic: 'orders', subject: '#' }, () => void order.push('all'));
    metro.on({ topic: 'orders', subject: /^pla/ }, () => void order.push('regex'), { priority: -1 });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    expect(order).toEqual(['urgent', 'first', 'second', 'all', 'regex']);
  });

  it('routes wildcard and literal subjects, and acks unrouted events to onUnrouted', async () => {
    const metro = make('shipping');
    const Weird = defineEvent({ topic: 'weird', type: 'price', schema: z.object({}) });
    const got: string[] = [];
    const unrouted: Envelope[] = [];
    metro.on({ topic: 'orders', subject: 'placed.*' }, (_d, ctx) => void got.push(`wild:${ctx.envelope.subject}`));
    metro.on({ topic: 'orders', subject: 'shipped' }, (_d, ctx) => void got.push(`exact:${ctx.envelope.subject}`));
    metro.on({ topic: 'weird', subject: 'price.[x]' }, () => void got.push('literal-bracket'));
    metro.onUnrouted((e) => void unrouted.push(e));
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' }, { subject: 'placed.eu' });
    // '*' is one word: nothing is bound for this subject, so a publish under the 'error' policy is refused (mandatory), not lost silently
    await expect(metro.publish(OrderPlaced, { orderId: '2' }, { subject: 'placed.eu.north', unroutable: 'error' })).rejects.toBeInstanceOf(UnroutableError);
    await metro.publish(OrderShipped, { orderId: '3' });
    await metro.publish(Weird, {}, { subject: 'price.[x]' });
    await metro.drain();
    expect(got.sort()).toEqual(['exact:shipped', 'literal-bracket', 'wild:placed.eu']);
    expect(unrouted).toHaveLength(0);
    expect((await metro.transport.inspectQueue('shipping'))?.messages).toBe(0);
  });

  it('a RegExp subject binds # and filters in process; non-matching events go to onUnrouted and are acked', async () => {
    const metro = make('demo');
    const Demo = defineEvent({ topic: 'metro-demo', type: 'MetroDemo/Type/A', schema: z.object({ n: z.number() }) });
    const Other = defineEvent({ topic: 'metro-demo', type: 'Other', schema: z.object({ n: z.number() }) });
    const got: unknown[] = [];
    const unrouted: string[] = [];
    metro.on({ topic: 'metro-demo', subject: /^MetroDemo\/Type\/.*$/ }, (data) => void got.push(data));
    metro.onUnrouted((e) => void unrouted.push(e.type));
    await metro.start();
    await metro.publish(Demo, { n: 1 });
    await metro.publish(Other, { n: 2 });
    await metro.drain();
    expect(got).toEqual([{ n: 1 }]);
    expect(unrouted).toEqual(['Other']);
    expect((await metro.failures.list()).items).toHaveLength(0);
  });

  it('subscriptions consume their own queue, so two scopes each get a copy', async () => {
    const metro = make('reports');
    const a: string[] = [];
    const b: string[] = [];
    metro.on(OrderPlaced, (p) => void a.push(p.orderId));
    metro.subscription('audit').on(OrderPlaced, (p) => void b.push(p.orderId));
    await metro.start();
    expect(await metro.transport.inspectQueue('reports.audit')).toBeDefined();
    await metro.publish(OrderPlaced, { orderId: '7' });
    await metro.drain();
    expect(a).toEqual(['7']);
    expect(b).toEqual(['7']);
  });

  it('competing instances of one service share its queue; two services each get the event', async () => {
    const first = make('inventory');
    const second = make('inventory', first.transport);
    const other = make('analytics', first.transport);
    let inventory = 0;
    let analytics = 0;
    first.on(OrderPlaced, () => void inventory++);
    second.on(OrderPlaced, () => void inventory++);
    other.on(OrderPlaced, () => void analytics++);
    await Promise.all([first.start(), second.start(), other.start()]);
    for (let i = 0; i < 20; i++) await first.publish(OrderPlaced, { orderId: String(i) });
    await first.drain();
    expect(inventory).toBe(20);
    expect(analytics).toBe(20);
  });

  it('commands: exactly one handler per type, typed payloads, unknown command types become no-handler failures', async () => {
    const sms = make('sms');
    const sent: string[] = [];
    sms.handle(SendSms, (cmd) => void sent.push(cmd.phone));
    expect(() => sms.handle(SendSms, () => undefined)).toThrow(ConfigurationError);
    expect(() => make('billing').handle(SendSms, () => undefined)).toThrow(/belongs to service "sms"/);
    await sms.start();
    await sms.send(SendSms, { phone: '+1', text: 'hi' });
    await sms.transport.publish({
      destination: { kind: 'command', service: 'sms' },
      body: new TextEncoder().encode(
        JSON.stringify({
          specversion: '1.0',
          id: 'x1',
          source: 't',
          type: 'unknown',
          time: new Date().toISOString(),
          kind: 'command',
          service: 'sms',
          data: {},
        }),
      ),
      messageId: 'x1',
      contentType: 'application/cloudevents+json',
      headers: {},
    });
    await sms.drain();
    expect(sent).toEqual(['+1']);
    const { items } = await sms.failures.list({ reason: 'no-handler' });
    expect(items).toHaveLength(1);
    expect(items[0]!.error.code).toBe('NO_HANDLER');
    expect(items[0]!.type).toBe('unknown');
  });

  it('refuses registration after start and default handler names are stable', async () => {
    const metro = make('names');
    metro.on(
      OrderPlaced,
      () => {
        throw new Error('boom');
      },
      { retry: { attempts: 1 } },
    );
    metro.on(
      OrderPlaced,
      () => {
        throw new Error('boom2');
      },
      { retry: { attempts: 1 } },
    );
    await metro.start();
    expect(() => metro.on(OrderPlaced, () => undefined)).toThrow(ConfigurationError);
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    const names = (await metro.failures.list()).items.map((f) => f.handler).sort();
    expect(names).toEqual(['orders.placed#0', 'orders.placed#1']);
  });
});
