import { describe, expect } from 'vitest';
import { contractTest, waitFor, type ContractContext } from './transport-contract-kit.js';

/** `health()`, optional: when a transport has it, it tells its connections and consumers as they are. */
export function registerHealthContract(ctx: ContractContext): void {
  describe('health (optional method)', () => {
    contractTest(
      ctx,
      'health() reports connected connections, a consumer attached while it consumes and not after cancel, and closed connections after close',
      async (f) => {
        const { transport } = f;
        if (transport.health === undefined) {
          expect(transport.health).toBeUndefined(); // optional: the bus then reports its own view
          return;
        }
        const started = transport.health();
        expect(started.connections.length).toBeGreaterThan(0);
        for (const c of started.connections) expect(c).toMatchObject({ state: 'connected' });
        const q = f.queue('health');
        await transport.declareQueue({ queue: q });
        const { consumer } = await f.collect(q);
        const attached = () => transport.health!().consumers.some((c) => c.queue === q && c.attached);
        await waitFor(attached, f.ms(3000), 'the consumer reported attached');
        const since = transport.health().consumers.find((c) => c.queue === q)!.since;
        expect(since).toBeLessThanOrEqual(Date.now());
        await consumer.cancel();
        expect(attached()).toBe(false);
        await transport.close();
        for (const c of transport.health().connections) expect(c.state).toBe('closed');
      },
    );
  });
}
