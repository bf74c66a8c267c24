import { describe, expect } from 'vitest';
import { QueueInUseError, TransportClosedError, UnroutableError } from '../errors.js';
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
      await waitFor(
        async () => {
          const s = await f.transport.inspectQueue(q);
          return s?.messages === 1 && s.consumers === 0;
        },
        f.ms(3000),
        'the new message to wait in the queue',
      );
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
      expect(await rejection(f.transport.request(message({ kind: 'queue', queue: q }), { timeoutMs: 1000 }))).toBeInstanceOf(TransportClosedError);
    });

    contractTest(ctx, 'deleteQueue removes the queue with its messages, bindings and command route; a missing queue is no error', async (f) => {
      const q = f.queue('delete');
      const topic = f.topic('delete');
      const service = f.service('delete');
      await f.transport.declareQueue({ queue: q, bindings: [{ topic, pattern: '#' }], commandsFor: service });
      await f.transport.publish(message({ kind: 'topic', topic, subject: 'a' }));
      await f.transport.publish(message({ kind: 'command', service }));
      await waitFor(async () => (await f.transport.inspectQueue(q))?.messages === 2, f.ms(3000), 'two messages in the queue');
      await f.transport.deleteQueue(q);
      expect(await f.transport.inspectQueue(q)).toBeUndefined();
      expect(await rejection(f.transport.publish(message({ kind: 'topic', topic, subject: 'a' })))).toBeInstanceOf(UnroutableError);
      expect(await rejection(f.transport.publish(message({ kind: 'command', service })))).toBeInstanceOf(UnroutableError);
      expect(await rejection(f.transport.publish(message({ kind: 'queue', queue: q })))).toBeInstanceOf(UnroutableError);
      await f.transport.deleteQueue(q);
      await f.transport.deleteQueue(f.queue('never-declared'));
      // Declared again, it starts empty and routes again.
      await f.transport.declareQueue({ queue: q, bindings: [{ topic, pattern: '#' }] });
      expect((await f.transport.inspectQueue(q))?.messages).toBe(0);
      await f.transport.publish(message({ kind: 'topic', topic, subject: 'a' }));
      await waitFor(async () => (await f.transport.inspectQueue(q))?.messages === 1, f.ms(3000), 'the new message in the queue');
    });

    contractTest(ctx, 'deleteQueue refuses a queue this transport consumes, and deletes it once the consumer is cancelled', async (f) => {
      const q = f.queue('delete-consumed');
      await f.transport.declareQueue({ queue: q });
      const c = await f.collect(q);
      await f.transport.publish(message({ kind: 'queue', queue: q }));
      await c.count(1);
      const err = await rejection(f.transport.deleteQueue(q));
      expect(err).toBeInstanceOf(QueueInUseError);
      expect((err as QueueInUseError).code).toBe('CONFIGURATION');
      expect(await f.transport.inspectQueue(q)).toBeDefined();
      await c.consumer.cancel();
      await f.transport.deleteQueue(q);
      expect(await f.transport.inspectQueue(q)).toBeUndefined();
    });

    contractTest(ctx, 'deleteQueue refuses a queue whose consumer is still cancelling (its handler may requeue)', async (f) => {
      const q = f.queue('delete-cancelling');
      await f.transport.declareQueue({ queue: q });
      let release: () => void = () => undefined;
      let started = false;
      const c = await f.collect(q, {}, async (d) => {
        started = true;
        await new Promise<void>((resolve) => (release = resolve));
        await d.requeue();
      });
      await f.transport.publish(message({ kind: 'queue', queue: q }));
      await waitFor(() => started, f.ms(5000), 'the handler to start');
      const cancelling = c.consumer.cancel();
      expect(await rejection(f.transport.deleteQueue(q))).toBeInstanceOf(QueueInUseError);
      release();
      await cancelling;
      await waitFor(async () => (await f.transport.inspectQueue(q))?.messages === 1, f.ms(3000), 'the requeued message back in the queue');
      await f.transport.deleteQueue(q);
      expect(await f.transport.inspectQueue(q)).toBeUndefined();
    });
  });
}
