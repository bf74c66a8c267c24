import { describe, expect, it } from 'vitest';
import { createMetro, InMemoryTransport, silentLogger } from '../src/index.js';
import { createTestMetro } from '../src/testing/index.js';
import { OrderPlaced, waitUntil } from './helpers.js';

describe('graceful stop', () => {
  it('stop() during a burst finishes in-flight handlers; every message is either handled or still queued', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const first = createMetro({ service: 'burst', logger: silentLogger, transport, concurrency: 4, closeTransport: false });
    const handled = new Set<string>();
    let running = 0;
    let maxRunning = 0;
    first.on(OrderPlaced, async (p) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, 5));
      handled.add(p.orderId);
      running--;
    });
    await first.start();
    const total = 200;
    for (let i = 0; i < total; i++) await first.publish(OrderPlaced, { orderId: String(i) });
    await waitUntil(() => handled.size >= 10);
    await Promise.all([first.stop(), first.stop()]);
    expect(running).toBe(0);
    expect(maxRunning).toBeLessThanOrEqual(4);
    const afterStop = handled.size;
    expect(afterStop).toBeLessThan(total);
    const left = (await transport.inspectQueue('burst'))!.messages;
    expect(afterStop + left).toBe(total);
    expect((await first.failures.list()).items).toHaveLength(0);

    const second = createMetro({ service: 'burst', logger: silentLogger, transport });
    second.on(OrderPlaced, (p) => void handled.add(p.orderId));
    await second.start();
    await transport.whenIdle();
    expect(handled.size).toBe(total);
    await second.stop();
    await second.stop();
    await expect(second.start()).rejects.toThrow(/stopped/);
  });

  it('handlers still running at the stop timeout are aborted and their messages requeued, not failed', async () => {
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({ service: 'hang-stop', logger: silentLogger, transport, stopTimeout: '100ms', closeTransport: false });
    const signals: AbortSignal[] = [];
    metro.on(OrderPlaced, (_p, ctx) => {
      signals.push(ctx.signal);
      return new Promise(() => undefined);
    });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await waitUntil(() => signals.length === 1);
    const started = Date.now();
    await metro.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(signals[0]!.aborted).toBe(true);
    expect((await metro.failures.list()).items).toHaveLength(0);
    expect((await transport.inspectQueue('hang-stop'))!.messages).toBe(1);
    await transport.close();
  });

  it('createTestMetro stop closes its transport; publish afterwards is a typed error', async () => {
    const metro = createTestMetro({ service: 'closed' });
    await metro.start();
    await metro.stop();
    await expect(metro.publish(OrderPlaced, { orderId: '1' })).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
  });
});
