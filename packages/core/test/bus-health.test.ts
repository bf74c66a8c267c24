import { afterEach, describe, expect, it } from 'vitest';
import { createMetro, InMemoryTransport, silentLogger, type Metro, type Transport } from '../src/index.js';
import { FlakyTransport, OrderPlaced } from './helpers.js';

const metros: Metro[] = [];
afterEach(async () => {
  for (const m of metros.splice(0)) await m.stop();
});

function bus(service: string, transport: Transport = new InMemoryTransport({ logger: silentLogger })): Metro {
  const metro = createMetro({ service, transport, logger: silentLogger });
  metros.push(metro);
  return metro;
}

describe('metro.health() on the in-memory transport', () => {
  it('after a failed start it says so with the cause and fails liveness (start() will not retry; only a restart helps)', async () => {
    class RefusingTransport extends InMemoryTransport {
      override declareQueue(): Promise<void> {
        return Promise.reject(new Error('queue "billing" exists with other arguments'));
      }
    }
    const metro = bus('billing', new RefusingTransport({ logger: silentLogger }));
    metro.on(OrderPlaced, () => undefined);
    await expect(metro.start()).rejects.toThrow('other arguments');
    const failed = await metro.health();
    expect(failed).toMatchObject({ status: 'unhealthy', ready: false, live: false });
    expect(failed.checks['billing.bus']).toMatchObject({ status: 'unhealthy', liveness: true, observed: { state: 'failed' } });
    expect(failed.checks['billing.bus']!.message).toContain('failed to start');
    expect(failed.checks['billing.bus']!.message).toContain('other arguments');
  });

  it('is not ready before start, healthy once started with every consumer attached, and not ready once stopped, live throughout', async () => {
    const metro = bus('billing');
    metro.on(OrderPlaced, () => undefined);
    metro.subscription('audit').on(OrderPlaced, () => undefined);

    const idle = await metro.health();
    expect(idle).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    expect(idle.checks['billing.bus']).toMatchObject({ status: 'unhealthy', observed: { state: 'idle' } });
    expect(idle.checks['billing.bus']!.message).toContain('metro.start()');

    await metro.start();
    const started = await metro.health();
    expect(started).toMatchObject({ status: 'healthy', ready: true, live: true });
    expect(Object.keys(started.checks).sort()).toEqual(['billing.bus', 'billing.connection.memory', 'billing.consumers']);
    expect(started.checks['billing.consumers']).toMatchObject({ status: 'healthy', observed: { expected: 2, attached: 2, detached: null } });
    expect(started.checks['billing.connection.memory']).toMatchObject({ status: 'healthy', observed: { state: 'connected', reconnects: 0 } });

    await metro.stop();
    const stopped = await metro.health();
    expect(stopped).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    expect(stopped.checks['billing.bus']).toMatchObject({ observed: { state: 'stopped' } });
    expect(stopped.checks['billing.connection.memory']).toMatchObject({ status: 'unhealthy', liveness: false, observed: { state: 'closed' } });
  });

  it('a transport closed under a running bus fails liveness: it will not come back by itself', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = bus('shipping', transport);
    await metro.start();
    await transport.close();
    const report = await metro.health();
    expect(report).toMatchObject({ status: 'unhealthy', ready: false, live: false });
    expect(report.checks['shipping.connection.memory']).toMatchObject({ status: 'unhealthy', liveness: true });
    expect(report.checks['shipping.connection.memory']!.message).toContain('restart the process');
    const liveness = await metro.health({ probe: 'liveness' });
    expect(Object.keys(liveness.checks)).toEqual(['shipping.connection.memory']);
    expect(liveness.live).toBe(false);
  });

  it('counts only its own queues on a transport shared with other services', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const orders = bus('orders', transport);
    const billing = createMetro({ service: 'billing', transport, logger: silentLogger, closeTransport: false });
    await billing.start();
    await orders.start();
    expect((await orders.health()).checks['orders.consumers']).toMatchObject({ observed: { expected: 1, attached: 1 } });
    await billing.stop();
    expect((await orders.health()).status).toBe('healthy');
    expect((await billing.health()).checks['billing.consumers']).toMatchObject({
      status: 'unhealthy',
      observed: { expected: 1, attached: 0, detached: 'billing' },
    });
  });

  it('with a transport that reports no health, checks the bus and its consumers from its own view', async () => {
    const metro = bus('legacy', new FlakyTransport());
    await metro.start();
    const report = await metro.health();
    expect(Object.keys(report.checks).sort()).toEqual(['legacy.bus', 'legacy.consumers']);
    expect(report).toMatchObject({ status: 'healthy', ready: true });
    expect(report.checks['legacy.consumers']).toMatchObject({ observed: { expected: 1, attached: 1 } });
  });
});
