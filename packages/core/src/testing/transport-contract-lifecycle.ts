import { describe, expect } from 'vitest';
import { TransportClosedError } from '../errors.js';
import { contractTest, message, rejection, sleep, waitFor, type ContractContext } from './transport-contract-kit.js';

/** Lifecycles: cancel and close wait for in-flight handlers, are safe twice; nothing after close. */
export function registerLifecycleContract(ctx: ContractContext): void {
  describe('lifecycle', () => {
    contractTest(ctx, 'consumer.cancel waits for in-flight handlers, stops delivery, is safe twice', async (f) => {
      const q = f.queue('cancel');
      await f.transport.declareQueue({ queue: q });
      let started = false;
      let finished = false;
      const c = await f.collect(q, {}, async (d) => {
        started = true;
        await sleep(f.ms(300));
        finished = true;
        await d.ack();
      });
      await f.transport.publish(message({ kind: 'queue', queue: q }));
      await waitFor(() => started, f.ms(5000), 'the handler to start');
      await c.consumer.cancel();
      expect(finished).toBe(true);
      await c.consumer.cancel();
      await f.transport.publish(message({ kind: 'queue', queue: q }));
      await waitFor(async () => {
        const s = await f.transport.inspectQueue(q);
        return s?.messages === 1 && s.consumers === 0;
      }, f.ms(3000), 'the new message to wait in the queue');
      expect(c.deliveries).toHaveLength(1);
    });

    contractTest(ctx, 'close waits for in-flight handlers (which may still ack), is safe twice, then refuses work', async (f) => {
      const q = f.queue('close');
      await f.transport.declareQueue({ queue: q });
      let started = false;
      let finished = false;
      const ackErrors: unknown[] = [];
      await f.collect(q, {}, async (d) => {
        started = true;
        await sleep(f.ms(300));
        await d.ack().catch((e: unknown) => ackErrors.push(e));
        finished = true;
      });
      await f.transport.publish(message({ kind: 'queue', queue: q }));
      await waitFor(() => started, f.ms(5000), 'the handler to start');
      await Promise.all([f.transport.close(), f.transport.close()]);
      expect(finished).toBe(true);
      expect(ackErrors).toEqual([]);
      await f.transport.close();
      expect(await rejection(f.transport.publish(message({ kind: 'queue', queue: q })))).toBeInstanceOf(TransportClosedError);
      expect(await rejection(f.transport.request(message({ kind: 'queue', queue: q }), { timeoutMs: 1000 }))).toBeInstanceOf(
        TransportClosedError,
      );
    });
  });
}
