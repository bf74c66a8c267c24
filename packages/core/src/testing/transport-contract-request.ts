import { describe, expect } from 'vitest';
import { RequestTimeoutError, UnroutableError } from '../errors.js';
import type { Delivery } from '../transport.js';
import { contractTest, message, rejection, sleep, text, waitFor, type ContractContext } from './transport-contract-kit.js';

const encoder = new TextEncoder();

/** Replies with `prefix + body` (after `delayMs`) and acks. */
function echo(prefix: string, delayMs = 0) {
  return async (d: Delivery): Promise<void> => {
    if (delayMs > 0) await sleep(delayMs);
    if (d.reply) await d.reply({ body: encoder.encode(prefix + text(d.body)), contentType: 'text/plain', headers: { 'x-request-id': d.messageId } });
    await d.ack();
  };
}

/** Request/reply: round trip, timeouts and late replies, no responder, many at once, abort. */
export function registerRequestContract(ctx: ContractContext): void {
  describe('request/reply', () => {
    contractTest(ctx, 'request resolves with the reply, to a queue or to a command route', async (f) => {
      const service = f.service('rpc');
      const q = f.queue('rpc');
      await f.transport.declareQueue({ queue: q, commandsFor: service });
      const server = await f.collect(q, {}, echo('re:'));
      const m = message({ kind: 'queue', queue: q }, 'ping');
      const reply = await f.transport.request(m, { timeoutMs: f.ms(5000) });
      expect(text(reply.body)).toBe('re:ping');
      expect(reply.contentType).toBe('text/plain');
      expect(reply.headers['x-request-id']).toBe(m.messageId);
      const viaCommand = await f.transport.request(message({ kind: 'command', service }, 'cmd'), { timeoutMs: f.ms(5000) });
      expect(text(viaCommand.body)).toBe('re:cmd');
      expect(server.deliveries.every((d) => typeof d.reply === 'function')).toBe(true);
      // A plain publish carries no reply function.
      await f.transport.publish(message({ kind: 'queue', queue: q }, 'plain'));
      const all = await server.count(3);
      expect(all.find((d) => text(d.body) === 'plain')!.reply).toBeUndefined();
    });

    contractTest(ctx, 'request times out with RequestTimeoutError; the late reply is dropped', async (f) => {
      const q = f.queue('slow');
      await f.transport.declareQueue({ queue: q });
      const timeoutMs = f.ms(200);
      let lateReplied = false;
      const lateErrors: unknown[] = [];
      await f.collect(q, {}, async (d) => {
        if (text(d.body) === 'slow') {
          await sleep(timeoutMs + f.ms(300));
          await d.reply!({ body: encoder.encode('late'), contentType: 'text/plain', headers: {} }).catch((e: unknown) => lateErrors.push(e));
          lateReplied = true;
          await d.ack();
        } else await echo('')(d);
      });
      const started = Date.now();
      const err = await rejection(f.transport.request(message({ kind: 'queue', queue: q }, 'slow'), { timeoutMs }));
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect((err as RequestTimeoutError).code).toBe('REQUEST_TIMEOUT');
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 5);
      expect(elapsed).toBeLessThan(timeoutMs + f.ms(2000));
      await waitFor(() => lateReplied, f.ms(5000), 'the late reply');
      expect(lateErrors).toEqual([]);
      // The late reply does not leak into the next request.
      const next = await f.transport.request(message({ kind: 'queue', queue: q }, 'fast'), { timeoutMs: f.ms(5000) });
      expect(text(next.body)).toBe('fast');
    });

    contractTest(ctx, 'request to nothing rejects UnroutableError; to a queue nobody consumes, RequestTimeoutError', async (f) => {
      const e1 = await rejection(f.transport.request(message({ kind: 'queue', queue: f.queue('missing') }), { timeoutMs: f.ms(2000) }));
      expect(e1).toBeInstanceOf(UnroutableError);
      const e2 = await rejection(f.transport.request(message({ kind: 'command', service: f.service('none') }), { timeoutMs: f.ms(2000) }));
      expect(e2).toBeInstanceOf(UnroutableError);
      const e3 = await rejection(f.transport.request(message({ kind: 'topic', topic: f.topic('none'), subject: 'a' }), { timeoutMs: f.ms(2000) }));
      expect(e3).toBeInstanceOf(UnroutableError);
      const idle = f.queue('idle');
      await f.transport.declareQueue({ queue: idle });
      const e4 = await rejection(f.transport.request(message({ kind: 'queue', queue: idle }), { timeoutMs: f.ms(150) }));
      expect(e4).toBeInstanceOf(RequestTimeoutError);
    });

    contractTest(ctx, 'many concurrent requests each get their own reply', async (f) => {
      const q = f.queue('many');
      await f.transport.declareQueue({ queue: q });
      await f.collect(q, { concurrency: 8 }, async (d) => {
        await sleep(Math.floor(Math.random() * 10));
        await echo('r-')(d);
      });
      const n = 50;
      const replies = await Promise.all(
        Array.from({ length: n }, (_, i) => f.transport.request(message({ kind: 'queue', queue: q }, `n${i}`), { timeoutMs: f.ms(10_000) })),
      );
      expect(replies.map((r) => text(r.body))).toEqual(Array.from({ length: n }, (_, i) => `r-n${i}`));
    });

    contractTest(ctx, 'an aborted request rejects with the signal reason', async (f) => {
      const q = f.queue('abort');
      await f.transport.declareQueue({ queue: q });
      await f.collect(q, {}, (d) => d.ack()); // never replies
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const pending = f.transport.request(message({ kind: 'queue', queue: q }), { timeoutMs: f.ms(10_000), signal: controller.signal });
      const started = Date.now();
      setTimeout(() => controller.abort(reason), 50);
      expect(await rejection(pending)).toBe(reason);
      expect(Date.now() - started).toBeLessThan(f.ms(3000));
      const aborted = AbortSignal.abort(reason);
      expect(await rejection(f.transport.request(message({ kind: 'queue', queue: q }), { timeoutMs: f.ms(5000), signal: aborted }))).toBe(reason);
    });
  });
}
