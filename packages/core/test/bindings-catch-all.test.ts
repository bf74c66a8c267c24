import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent, InMemoryTransport, serviceCommandCodec, silentLogger, UnroutableError, type Envelope } from '../src/index.js';
import { createTestMetro, type TestMetro, type TestMetroOptions } from '../src/testing/index.js';
import { encode, OrderPlaced, OrderShipped } from './helpers.js';

const UserCreated = defineEvent({ topic: 'users', type: 'user.created', schema: z.object({ id: z.string() }) });
const SendSms = defineCommand({ service: 'sms', type: 'send', schema: z.object({ phone: z.string(), text: z.string() }), expiresIn: '30s' });

describe('bindings without a handler, the catch-all consumer and the queue name (in memory)', () => {
  let metros: TestMetro[] = [];
  afterEach(async () => {
    await Promise.all(metros.map((m) => m.stop()));
    metros = [];
  });
  const make = (options: TestMetroOptions): TestMetro => {
    const m = createTestMetro(options);
    metros.push(m);
    return m;
  };

  it('bindings route to onAny: every event of every bound topic, with its envelope; an unbound topic never arrives', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const audit = make({ service: 'audit', transport, bindings: [{ topic: 'orders' }, { topic: 'users', pattern: 'user.*' }] });
    const seen: string[] = [];
    audit.onAny((data, ctx) => void seen.push(`${ctx.envelope.topic}/${ctx.envelope.type}:${JSON.stringify(data)}`));
    await audit.start();
    const publisher = make({ service: 'shop', transport });
    await publisher.publish(OrderPlaced, { orderId: '1' });
    await publisher.publish(OrderShipped, { orderId: '1' });
    await publisher.publish(UserCreated, { id: 'u1' });
    const Other = defineEvent({ topic: 'payments', type: 'done', schema: z.object({}) });
    await expect(publisher.publish(Other, {}, { unroutable: 'error' })).rejects.toBeInstanceOf(UnroutableError);
    await publisher.drain();
    expect(seen.sort()).toEqual(['orders/placed:{"orderId":"1"}', 'orders/shipped:{"orderId":"1"}', 'users/user.created:{"id":"u1"}']);
  });

  it('onAny runs with the specific handlers (priority order); { fallback: true } only when none matched; failures are per handler', async () => {
    const metro = make({ service: 'mixed', bindings: [{ topic: 'orders' }], retry: { attempts: 1 } });
    const ran: string[] = [];
    metro.on(OrderPlaced, () => void ran.push('placed'));
    metro.onAny((_d, ctx) => void ran.push(`any:${ctx.envelope.type}`), { priority: 10 });
    metro.onAny((_d, ctx) => void ran.push(`default:${ctx.envelope.type}`), { fallback: true, name: 'default' });
    metro.onAny(
      () => {
        throw new Error('broken catch-all');
      },
      { name: 'broken' },
    );
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    await metro.publish(OrderShipped, { orderId: '1' });
    await metro.drain();
    expect(ran).toEqual(['any:placed', 'placed', 'any:shipped', 'default:shipped']);
    const failures = (await metro.failures.list()).items;
    expect(failures.map((f) => [f.handler, f.type]).sort()).toEqual([
      ['broken', 'placed'],
      ['broken', 'shipped'],
    ]);
  });

  it('a binding with no handler at all hands its events to onUnrouted and acks them', async () => {
    const metro = make({ service: 'bare', bindings: [{ topic: 'orders', pattern: 'placed' }] });
    const unrouted: Envelope[] = [];
    metro.onUnrouted((e) => void unrouted.push(e));
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '9' });
    await metro.drain();
    expect(unrouted.map((e) => e.type)).toEqual(['placed']);
    expect((await metro.transport.inspectQueue('bare'))?.messages).toBe(0);
  });

  it('queue: the service queue (and its subscriptions) take that name; commands to the service still arrive there', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const sms = make({ service: 'sms', queue: 'sms_worker_queue', transport });
    const sent: string[] = [];
    sms.handle(SendSms, (cmd, ctx) => void sent.push(`${cmd.text}@${ctx.queue}`));
    sms.subscription('audit').on(OrderPlaced, () => undefined);
    await sms.start();
    expect(sms.queue).toBe('sms_worker_queue');
    expect(await transport.inspectQueue('sms_worker_queue')).toBeDefined();
    expect(await transport.inspectQueue('sms_worker_queue.audit')).toBeDefined();
    expect(await transport.inspectQueue('sms')).toBeUndefined();
    await make({ service: 'billing', transport }).send(SendSms, { phone: '1', text: 'hi' });
    await sms.drain();
    expect(sent).toEqual(['hi@sms_worker_queue']);
    expect(() => make({ service: 'x', queue: 'bad queue' })).toThrow(/Invalid queue name/);
  });

  it("serviceCommandCodec: a command sent to the service's exchange (routing key = type) is handled by metro.handle, meta.expiredTime honoured", async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const sms = make({ service: 'sms', transport, bindings: [{ topic: 'sms', codec: serviceCommandCodec }] });
    const got: Array<{ phone: string; text: string; expiresat: string | undefined }> = [];
    sms.handle(SendSms, (cmd, ctx) => void got.push({ ...cmd, expiresat: ctx.envelope.expiresat }));
    await sms.start();
    const sent = await make({ service: 'billing', transport }).send(SendSms, { phone: '+1', text: 'paid' }, { codec: serviceCommandCodec });
    // What a Python service (send_command) publishes: the arguments plus meta, to exchange 'sms', routing key 'send'.
    const expired = new Date(Date.now() - 1000).toISOString();
    const sendAsPython = (args: Record<string, unknown>): Promise<void> =>
      transport.publish({
        destination: { kind: 'topic', topic: 'sms', subject: 'send' },
        body: encode(args),
        messageId: '',
        contentType: 'application/json',
        headers: {},
      });
    await sendAsPython({ phone: '+2', text: 'from python', meta: {} });
    await sendAsPython({ phone: '+3', text: 'too late', meta: { expiredTime: expired } });
    await sms.drain();
    expect(got.map((g) => g.text)).toEqual(['paid', 'from python']);
    expect(got[0]!.expiresat).toBe(sent.expiresat);
    const [failure] = (await sms.failures.list()).items;
    expect(failure).toMatchObject({ reason: 'expired', type: 'send' });
  });

  it('serviceCommandCodec encodes arguments + meta and refuses a payload that is not an object', () => {
    const envelope: Envelope = {
      specversion: '1.0',
      id: 'c-1',
      source: 'billing',
      type: 'send',
      time: new Date(0).toISOString(),
      datacontenttype: 'application/json',
      data: { phone: '+1' },
      kind: 'command',
      service: 'sms',
      expiresat: '2030-01-01T00:00:00.000Z',
    };
    const encoded = serviceCommandCodec.encode(envelope);
    expect(JSON.parse(new TextDecoder().decode(encoded.body))).toEqual({ phone: '+1', meta: { expiredTime: '2030-01-01T00:00:00.000Z' } });
    expect(serviceCommandCodec.destination?.(envelope)).toEqual({ kind: 'topic', topic: 'sms', subject: 'send' });
    expect(() => serviceCommandCodec.encode({ ...envelope, data: [1] })).toThrow(/JSON object payloads/);
    expect(() => serviceCommandCodec.decode({ body: encode({ a: 1 }), headers: {}, topic: 'sms' })).toThrow(/routing key/);
    expect(() => serviceCommandCodec.decode({ body: encode({ meta: { expiredTime: 'soon' } }), headers: {}, topic: 'sms', subject: 'send' })).toThrow(
      /not a date/,
    );
  });
});
