import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealthHandler, createMetro, healthReport, InMemoryTransport, silentLogger, type HealthHandler, type HealthReport } from '../src/index.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: HealthReport; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? (undefined as never) : (JSON.parse(text) as HealthReport), headers: res.headers };
}

describe('createHealthHandler over HTTP', () => {
  it('answers /readyz and /livez with 200 and the report while the bus runs, /readyz 503 once it stops, /livez still 200', async () => {
    const metro = createMetro({ service: 'probes', transport: new InMemoryTransport({ logger: silentLogger }), logger: silentLogger });
    await metro.start();
    const url = await serve(createHealthHandler({ sources: [metro] }));

    const ready = await get(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(ready.headers.get('cache-control')).toBe('no-store');
    expect(ready.body).toMatchObject({ status: 'healthy', ready: true, live: true });
    expect(Object.keys(ready.body.checks).sort()).toEqual(['probes.bus', 'probes.connection.memory', 'probes.consumers']);
    expect((await get(`${url}/livez?verbose`)).status).toBe(200);

    await metro.stop();
    const notReady = await get(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    expect(notReady.body.checks['probes.bus']!.message).toContain('stopped');
    const live = await get(`${url}/livez`);
    expect(live.status).toBe(200);
    expect(live.body.checks).toEqual({}); // the bus's checks are readiness checks
    const head = await fetch(`${url}/readyz`, { method: 'HEAD' });
    expect(head.status).toBe(503);
    expect(await head.text()).toBe('');
  });

  it('fails liveness only on a liveness check, and passes the probe to every source', async () => {
    const probes: string[] = [];
    const url = await serve(
      createHealthHandler({
        sources: [
          async ({ probe }) => {
            probes.push(String(probe));
            return healthReport({ 'worker.loops': { status: 'unhealthy', message: 'crashed', liveness: true, observed: {} } }, { probe });
          },
        ],
      }),
    );
    const live = await get(`${url}/livez`);
    expect(live.status).toBe(503);
    expect(live.body).toMatchObject({ live: false, checks: { 'worker.loops': { message: 'crashed' } } });
    expect((await get(`${url}/readyz`)).status).toBe(503);
    expect(probes).toEqual(['liveness', 'readiness']);
  });

  it('turns a source that throws or hangs into an unhealthy check, within the timeout', async () => {
    const url = await serve(
      createHealthHandler({
        timeout: 200,
        sources: [
          {
            health: () => Promise.reject(new Error('boom')),
          },
          { health: () => new Promise<HealthReport>(() => undefined) },
        ],
      }),
    );
    const started = Date.now();
    const res = await get(`${url}/readyz`);
    expect(Date.now() - started).toBeLessThan(3000); // bounded by the 200 ms timeout (generous for a loaded machine)
    expect(res.status).toBe(503);
    expect(res.body.checks['health-source-0']).toMatchObject({ status: 'unhealthy', message: 'health source 0 failed to report: boom' });
    expect(res.body.checks['health-source-1']!.message).toBe('health source 1 did not report within 200 ms: the process may be overloaded');
  });

  it('answers 404 for other paths and 405 for other methods standing alone, and hands other paths to next() as middleware', async () => {
    const handler = createHealthHandler({ sources: [], paths: { readiness: '/health/ready' } });
    const url = await serve(handler);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect((await fetch(`${url}/livez`, { method: 'POST' })).status).toBe(405);
    expect((await get(`${url}/health/ready`)).body).toMatchObject({ status: 'healthy', checks: {} });

    const middleware: HealthHandler = handler;
    const app = await serve((req, res) =>
      middleware(req, res, () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('app');
      }),
    );
    expect(await (await fetch(`${app}/orders`)).text()).toBe('app');
    expect((await fetch(`${app}/livez`)).headers.get('content-type')).toContain('application/json');
  });
});
