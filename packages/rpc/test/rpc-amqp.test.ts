import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MetroError } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { createRpc, defineProcedure, type Rpc } from '../src/index.js';
import { TcpProxy } from '@metro/test-support';
import { AMQP_URL, deleteQueues } from './amqp-helpers.js';
import { defineRpcSuite } from './rpc-suite.js';

defineRpcSuite('amqp', () => new AmqpTransport({ url: AMQP_URL, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } }), { cleanup: deleteQueues });

describe('rpc on amqp: faults', () => {
  const suffix = Math.random().toString(36).slice(2, 10);
  const Slow = defineProcedure({ name: `fault-${suffix}.slow`, input: z.object({ ms: z.number() }), output: z.object({ ok: z.boolean() }) });
  let proxy: TcpProxy;
  let serverTransport: AmqpTransport;
  let clientTransport: AmqpTransport;
  let server: Rpc;
  let client: Rpc;

  beforeAll(async () => {
    proxy = await TcpProxy.start(Number(new URL(AMQP_URL).port || 5672), new URL(AMQP_URL).hostname);
    serverTransport = new AmqpTransport({ url: AMQP_URL });
    clientTransport = new AmqpTransport({ url: proxy.urlFor(AMQP_URL), heartbeat: 2, reconnect: { initialDelayMs: 50, maxDelayMs: 300 } });
    server = createRpc({ transport: serverTransport, service: 'fault-server' });
    client = createRpc({ transport: clientTransport, service: 'fault-client' });
    await server.serve(Slow, async ({ ms }) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { ok: true };
    });
  });

  afterAll(async () => {
    await client?.stop();
    await server?.stop();
    await clientTransport?.close();
    await serverTransport?.close();
    await proxy?.close();
    await deleteQueues([Slow.queue]);
  });

  it('a call in flight when the connection is cut settles in bounded time, and calls work again after the reconnect', async () => {
    await expect(client.call(Slow, { ms: 0 })).resolves.toEqual({ ok: true });
    const started = Date.now();
    const inFlight = client.call(Slow, { ms: 400 }, { timeout: 4000 }).then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    proxy.cut();
    const outcome = await inFlight;
    expect(outcome).toBeInstanceOf(MetroError);
    expect(Date.now() - started).toBeLessThan(4500);

    let recovered = false;
    for (let attempt = 0; attempt < 40 && !recovered; attempt++) {
      try {
        await client.call(Slow, { ms: 0 }, { timeout: 1000 });
        recovered = true;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    expect(recovered).toBe(true);
    expect(proxy.accepted).toBeGreaterThanOrEqual(2);
    // many calls at once on the new connection
    const results = await Promise.all(Array.from({ length: 50 }, () => client.call(Slow, { ms: 5 })));
    expect(results.every((r) => r.ok)).toBe(true);
  });
});
