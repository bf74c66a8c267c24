import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent, serviceCommandCodec } from '@metro/core';
import { waitFor } from './support/broker.js';
import { BusFixture } from './support/bus-fixture.js';

const fixture = new BusFixture();
beforeAll(() => fixture.open());
afterAll(() => fixture.close());

describe("bindings without a handler, the catch-all consumer, the queue name and send_command's format, on RabbitMQ", () => {
  it('sync mode on a RabbitMQ bus: handlers run in place and nothing reaches the queue; { sync: false } goes through the broker', async () => {
    const Placed = defineEvent({ topic: fixture.topic('sync'), type: 'placed', schema: z.object({ id: z.string() }) });
    const name = fixture.service('sync');
    const metro = fixture.metro(name, { mode: 'sync' });
    const seen: string[] = [];
    metro.on(Placed, (p) => {
      if (p.id === 'bad') throw new RangeError('bad id');
      seen.push(p.id);
    });
    await metro.start();
    await metro.publish(Placed, { id: 'a' });
    expect(seen).toEqual(['a']);
    await expect(metro.publish(Placed, { id: 'bad' })).rejects.toBeInstanceOf(RangeError);
    expect((await metro.transport.inspectQueue(name))?.messages).toBe(0);
    await metro.publish(Placed, { id: 'b' }, { sync: false });
    await waitFor(() => seen.length === 2, 10_000, 'the message through RabbitMQ');
    expect(seen).toEqual(['a', 'b']);
  });

  it('bindings declared in createMetro bring events to onAny (fallback only for the unmatched); an unbound subject never arrives', async () => {
    const orders = fixture.topic('orders');
    const users = fixture.topic('users');
    const Placed = defineEvent({ topic: orders, type: 'placed', schema: z.object({ id: z.string() }) });
    const Created = defineEvent({ topic: users, type: 'user.created', schema: z.object({ id: z.string() }) });
    const Deleted = defineEvent({ topic: users, type: 'deleted', schema: z.object({ id: z.string() }) });
    const audit = fixture.metro(fixture.service('audit'), { bindings: [{ topic: orders }, { topic: users, pattern: 'user.*' }] });
    const seen: string[] = [];
    audit.on(Placed, (p) => void seen.push(`placed:${p.id}`));
    audit.onAny((_d, ctx) => void seen.push(`any:${ctx.envelope.type}`));
    audit.onAny((_d, ctx) => void seen.push(`default:${ctx.envelope.type}`), { fallback: true });
    await audit.start();
    const shop = fixture.metro(fixture.service('shop'));
    await shop.publish(Placed, { id: '1' });
    await shop.publish(Created, { id: 'u1' });
    await shop.publish(Deleted, { id: 'u1' }); // 'deleted' does not match user.*: nobody receives it
    await waitFor(() => seen.length === 4, 10_000, 'four handler runs');
    expect(seen.sort()).toEqual(['any:placed', 'any:user.created', 'default:user.created', 'placed:1']);
    expect(shop.stats().unroutable.accepted).toBe(1);
  });

  it('queue: the service consumes a queue of another name; commands to the service arrive there', async () => {
    const smsName = fixture.service('sms');
    const queue = fixture.service('sms-worker-queue');
    const SendSms = defineCommand({ service: smsName, type: 'send', schema: z.object({ text: z.string() }) });
    const sms = fixture.metro(smsName, { queue });
    const got: string[] = [];
    sms.handle(SendSms, (cmd, ctx) => void got.push(`${cmd.text}@${ctx.queue}`));
    await sms.start();
    expect(await fixture.broker.queueExists(queue)).toBe(true);
    expect(await fixture.broker.queueExists(smsName)).toBe(false);
    await fixture.metro(fixture.service('sender')).send(SendSms, { text: 'hi' });
    await waitFor(() => got.length === 1, 10_000, 'the command');
    expect(got).toEqual([`hi@${queue}`]);
  });

  it("serviceCommandCodec: a command to the service's exchange is handled by metro.handle; an expired one is recorded as expired", async () => {
    const smsName = fixture.service('sms-cmd');
    const SendSms = defineCommand({ service: smsName, type: 'send', schema: z.object({ phone: z.string(), text: z.string() }) });
    const sms = fixture.metro(smsName, { bindings: [{ topic: smsName, codec: serviceCommandCodec }] });
    const got: string[] = [];
    sms.handle(SendSms, (cmd) => void got.push(cmd.text));
    await sms.start();
    const sender = fixture.metro(fixture.service('cmd-sender'));
    await sender.send(SendSms, { phone: '+1', text: 'paid' }, { codec: serviceCommandCodec });
    const ch = await fixture.broker.scratch();
    const expired = new Date(Date.now() - 1000).toISOString();
    ch.publish(smsName, 'send', Buffer.from(JSON.stringify({ phone: '+2', text: 'late', meta: { expiredTime: expired } })), {
      contentType: 'application/json',
    });
    await ch.close();
    await waitFor(async () => got.length === 1 && (await sms.failures.list()).items.length === 1, 10_000, 'one handled, one expired');
    expect(got).toEqual(['paid']);
    expect((await sms.failures.list()).items[0]).toMatchObject({ reason: 'expired', type: 'send' });
    await fixture.broker.deleteExchanges(smsName); // the exchange named after the service
  });
});
