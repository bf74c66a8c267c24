// Interop with Python services beyond events, with real Python (pika) processes on RabbitMQ:
// RPC in bgtasks' wire format both ways (a Python RPCClient calling a Metro procedure, Metro
// calling a Python rpc_tasks responder), and commands in django-microservices-communication's
// send_command format both ways.
import { randomUUID } from 'node:crypto';
import { createMetro, defineCommand, serviceCommandCodec, type Metro } from '@metro/core';
import { createRpc, defineProcedure, RemoteError, type Rpc } from '@metro/rpc';
import { AmqpTransport } from '@metro/transport-amqp';
import amqplib from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runPython, script, startPython } from './python/run-python.js';

const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const suffix = randomUUID().slice(0, 8);
const metros: Metro[] = [];
const rpcs: Rpc[] = [];
const transports: AmqpTransport[] = [];
const exchanges: string[] = [];
/** Queues to delete at the end (service queues with their `.expired` companions, routes). */
const queues: string[] = [];

const transport = (): AmqpTransport => {
  const t = new AmqpTransport({ url: AMQP_URL });
  transports.push(t);
  return t;
};

afterAll(async () => {
  await Promise.allSettled(metros.map((m) => m.stop()));
  await Promise.allSettled(rpcs.map((r) => r.stop()));
  await Promise.allSettled(transports.map((t) => t.close()));
  const conn = await amqplib.connect(AMQP_URL);
  const ch = await conn.createChannel();
  for (const q of queues) for (const name of [q, `${q}.expired`]) await ch.deleteQueue(name).catch(() => undefined);
  for (const e of exchanges) await ch.deleteExchange(e).catch(() => undefined);
  await conn.close();
});

const Image = z.object({ id: z.number(), path: z.string() });

describe("Python interop: RPC in bgtasks' wire format (pika)", () => {
  it("a Python RPCClient calls a Metro procedure: {status, data} replies, a failure as {status: 'fail'}", async () => {
    const route = `py_images_${suffix}`;
    queues.push(route);
    const GetImages = defineProcedure({ name: route, input: z.object({ pks: z.array(z.number()) }), output: z.array(Image), wire: 'bgtasks' });
    const rpc = createRpc({ transport: transport(), service: `images-${suffix}` });
    rpcs.push(rpc);
    await rpc.serve(GetImages, ({ pks }) => {
      if (pks.length === 0) throw new RemoteError(route, 'NO_PKS', 'pks is empty');
      return pks.map((id) => ({ id, path: `/img/${id}.jpg` }));
    });

    const run = await runPython([script('bgtasks_rpc_client.py'), AMQP_URL, route, '10', '{"pks": [1, 2]}', '{"pks": []}', '{"pks": "x"}']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const replies = run.lines.map((l) => JSON.parse(l) as { status: string; data: unknown });
    expect(replies[0]).toEqual({
      status: 'success',
      data: [
        { id: 1, path: '/img/1.jpg' },
        { id: 2, path: '/img/2.jpg' },
      ],
    });
    expect(replies[1]).toEqual({ status: 'fail', data: { code: 'NO_PKS', message: 'pks is empty' } });
    expect(replies[2]).toMatchObject({ status: 'fail', data: { code: 'VALIDATION_FAILED' } });
  });

  it('Metro calls a Python rpc_tasks responder: its success data typed, its fail a RemoteError with the data, a bare value as is', async () => {
    const route = `py_tasks_${suffix}`;
    queues.push(route);
    const Images = defineProcedure({ name: route, input: z.object({ pks: z.array(z.number()) }), output: z.array(Image), wire: 'bgtasks' });
    const Count = defineProcedure({ name: route, input: z.object({ count: z.literal(true) }), output: z.number(), wire: 'bgtasks' });
    const server = await startPython([script('bgtasks_rpc_server.py'), AMQP_URL, route, '3', '15']);
    const rpc = createRpc({ transport: transport(), service: `caller-${suffix}` });
    rpcs.push(rpc);

    expect(await rpc.call(Images, { pks: [7, 8] }, { timeout: '5s' })).toEqual([
      { id: 7, path: '/img/7.jpg' },
      { id: 8, path: '/img/8.jpg' },
    ]);
    const failure = await rpc.call(Images, { pks: [] }, { timeout: '5s' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(RemoteError);
    expect(failure).toMatchObject({ code: 'HANDLER_FAILED', procedure: route, details: { data: { pks: ['This field is required.'] } } });
    expect(await rpc.call(Count, { count: true }, { timeout: '5s' })).toBe(3);

    const served = await server.done;
    expect(served.stderr).toBe('');
    expect(served.code).toBe(0);
    expect(served.lines.filter((l) => l !== 'READY').map((l) => JSON.parse(l) as unknown)).toEqual([{ pks: [7, 8] }, { pks: [] }, { count: true }]);
  });
});

describe("Python interop: commands in send_command's format (pika)", () => {
  it('a Metro service handles what a Python send_command sends (camelized arguments, meta.expiredTime); an expired one is recorded', async () => {
    const service = `py-sms-${suffix}`;
    exchanges.push(service);
    queues.push(service);
    const SendSms = defineCommand({ service, type: 'send_sms', schema: z.object({ phoneNumber: z.string(), text: z.string() }) });
    const sms = createMetro({ service, transport: transport(), bindings: [{ topic: service, codec: serviceCommandCodec }], retry: { attempts: 1 } });
    metros.push(sms);
    const got: Array<{ phoneNumber: string; text: string; expiresat: string | undefined }> = [];
    sms.handle(SendSms, (cmd, ctx) => void got.push({ ...cmd, expiresat: ctx.envelope.expiresat }));
    await sms.start();

    const sent = await runPython([
      script('send_commands.py'),
      AMQP_URL,
      service,
      'send_sms',
      '30',
      '{"phone_number": "+44 1", "text": "paid"}',
      '{"phone_number": "+44 2", "text": "shipped"}',
    ]);
    expect(sent.stderr).toBe('');
    expect(sent.lines).toEqual(['SENT', 'SENT']);
    const late = await runPython([script('send_commands.py'), AMQP_URL, service, 'send_sms', '-5', '{"phone_number": "+44 3", "text": "too late"}']);
    expect(late.code).toBe(0);

    await expect.poll(async () => got.length + (await sms.failures.list()).items.length, { timeout: 10_000 }).toBe(3);
    expect(got.map((g) => [g.phoneNumber, g.text])).toEqual([
      ['+44 1', 'paid'],
      ['+44 2', 'shipped'],
    ]);
    expect(Date.parse(got[0]!.expiresat!)).toBeGreaterThan(Date.now());
    expect((await sms.failures.list()).items[0]).toMatchObject({ reason: 'expired', type: 'send_sms' });
  });

  it("a Python consumer bound to the service's exchange gets what Metro sends with serviceCommandCodec", async () => {
    const service = `py-mailer-${suffix}`;
    exchanges.push(service);
    const SendMail = defineCommand({ service, type: 'send_mail', schema: z.object({ to: z.string() }), expiresIn: '1m' });
    const sender = createMetro({ service: `py-sender-${suffix}`, transport: transport() });
    queues.push(`py-sender-${suffix}`);
    metros.push(sender);
    await sender.start();
    const consumer = await startPython([script('consume_aggregate_events.py'), AMQP_URL, service, 'send_mail', `py_mail_q_${suffix}`, '2', '15']);
    await sender.send(SendMail, { to: 'ada@example.com' }, { codec: serviceCommandCodec });
    await sender.send(SendMail, { to: 'bob@example.com' }, { codec: serviceCommandCodec });
    const result = await consumer.done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const bodies = result.lines.filter((l) => l !== 'READY').map((l) => JSON.parse(l) as { to: string; meta: { expiredTime?: string } });
    expect(bodies.map((b) => b.to)).toEqual(['ada@example.com', 'bob@example.com']);
    for (const body of bodies) expect(Date.parse(body.meta.expiredTime ?? '')).toBeGreaterThan(Date.now());
  });
});
