import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHealthHandler, defineEvent, silentLogger, type HealthReport, type Metro } from '@metro/core';
import { TcpProxy } from '@metro/test-support';
import { z } from 'zod';
import { AmqpTransport } from '../src/index.js';
import { waitFor } from './support/broker.js';
import { BusFixture } from './support/bus-fixture.js';

const fixture = new BusFixture();
const proxies: TcpProxy[] = [];
const servers: Server[] = [];

beforeAll(() => fixture.open());
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  await fixture.close();
  for (const p of proxies) await p.close();
});

function busOn(url: string, service: string, topic: string): { metro: Metro; transport: AmqpTransport; received: string[] } {
  const transport = new AmqpTransport({ url, logger: silentLogger, reconnect: { initialDelayMs: 50, maxDelayMs: 400 } });
  const metro = fixture.metro(service, { transport, logger: silentLogger });
  const Pinged = defineEvent({ topic, type: 'pinged', schema: z.object({ n: z.number() }) });
  const received: string[] = [];
  metro.on(Pinged, ({ n }) => void received.push(`main-${n}`));
  metro.subscription('audit').on(Pinged, ({ n }) => void received.push(`audit-${n}`));
  fixture.queues(`${service}.audit`);
  return { metro, transport, received };
}

async function probe(url: string, path: string): Promise<{ status: number; body: HealthReport }> {
  const res = await fetch(url + path);
  return { status: res.status, body: (await res.json()) as HealthReport };
}

describe('metro.health() on RabbitMQ', () => {
  it('is healthy with both connections up and both consumers attached', async () => {
    const service = fixture.service('health-ok');
    const { metro } = busOn('amqp://guest:guest@127.0.0.1:5672', service, fixture.topic('health-ok'));
    await metro.start();
    const report = await metro.health();
    expect(report).toMatchObject({ status: 'healthy', ready: true, live: true });
    for (const role of ['publish', 'consume']) {
      expect(report.checks[`${service}.connection.${role}`]).toMatchObject({
        status: 'healthy',
        observed: { state: 'connected', reconnects: 0, blocked: null, endpoint: 'amqp://guest:***@127.0.0.1:5672' },
      });
    }
    expect(report.checks[`${service}.consumers`]).toMatchObject({ status: 'healthy', observed: { expected: 2, attached: 2 } });
  });

  it('is not ready while the broker is cut off, stays live, and is healthy again once the connections and consumers are back', async () => {
    const proxy = await TcpProxy.start();
    proxies.push(proxy);
    const service = fixture.service('health-cut');
    const topic = fixture.topic('health-cut');
    const { metro, received } = busOn(proxy.url(), service, topic);
    await metro.start();
    const server = createServer(createHealthHandler({ sources: [metro] }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await probe(url, '/readyz')).status).toBe(200);

    const cutAt = Date.now();
    proxy.cutAll();
    await waitFor(async () => !(await metro.health()).ready, 10_000, 'the bus reported not ready');
    const notReadyAfterMs = Date.now() - cutAt;
    const down = await metro.health();
    expect(down).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    const consume = down.checks[`${service}.connection.consume`]!;
    expect(consume).toMatchObject({ status: 'unhealthy', liveness: false });
    expect(['reconnecting', 'connecting']).toContain(consume.observed['state']);
    expect(Date.parse(String(consume.observed['since']))).toBeGreaterThanOrEqual(cutAt - 50);
    expect(consume.message).toContain('reconnecting by itself');
    await waitFor(async () => (await metro.health()).checks[`${service}.consumers`]!.status === 'unhealthy', 10_000, 'consumers reported detached');
    const readyz = await probe(url, '/readyz');
    expect(readyz.status).toBe(503);
    expect(readyz.body.checks[`${service}.consumers`]).toMatchObject({ observed: { expected: 2, attached: 0 } });
    const livez = await probe(url, '/livez');
    expect(livez.status).toBe(200);
    expect(livez.body.live).toBe(true);

    const restoredAt = Date.now();
    proxy.restore();
    await waitFor(async () => (await metro.health()).status === 'healthy', 20_000, 'the bus reported healthy again');
    console.log(`health: not ready ${notReadyAfterMs} ms after the cut; healthy ${Date.now() - restoredAt} ms after the broker came back`);
    const back = await metro.health();
    expect(back.checks[`${service}.connection.consume`]!.observed['reconnects']).toBeGreaterThanOrEqual(1);
    expect(back.checks[`${service}.consumers`]).toMatchObject({ observed: { attached: 2 } });
    expect((await probe(url, '/readyz')).status).toBe(200);
    // Healthy means working: an event published now reaches both queues.
    await metro.publish(defineEvent({ topic, type: 'pinged', schema: z.object({ n: z.number() }) }), { n: 7 });
    await waitFor(() => received.length === 2, 10_000, 'the event consumed on both queues');
    expect(received.sort()).toEqual(['audit-7', 'main-7']);
  }, 60_000);

  it('is degraded, still ready, while RabbitMQ blocks the publish connection (memory or disk alarm)', async () => {
    const service = fixture.service('health-blocked');
    const { metro, transport } = busOn('amqp://guest:guest@127.0.0.1:5672', service, fixture.topic('health-blocked'));
    await metro.start();
    const publishConnection = transport.connectionsForTesting().publish!;
    // What RabbitMQ sends on an alarm (connection.blocked), as the reliability tests raise it.
    publishConnection.emit('blocked', 'low on memory');
    const blocked = await metro.health();
    expect(blocked).toMatchObject({ status: 'degraded', ready: true, live: true });
    expect(blocked.checks[`${service}.connection.publish`]).toMatchObject({ status: 'degraded', observed: { blocked: 'low on memory' } });
    expect(blocked.checks[`${service}.connection.publish`]!.message).toContain('free memory or disk on the broker');
    publishConnection.emit('unblocked');
    expect((await metro.health()).status).toBe('healthy');
  });
});
