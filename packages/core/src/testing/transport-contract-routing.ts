import { describe, expect } from 'vitest';
import { UnroutableError } from '../errors.js';
import { contractTest, message, rejection, sleep, text, type ContractContext } from './transport-contract-kit.js';

/** Routing: topics and patterns, exchange types, commands, queues, unroutable publishes. */
export function registerRoutingContract(ctx: ContractContext): void {
  describe('routing', () => {
    registerTopicRoutingContract(ctx);
    registerDirectRoutingContract(ctx);
  });
}

/** Topics: bindings, wildcards, copies per queue, exchange types. */
function registerTopicRoutingContract(ctx: ContractContext): void {
  contractTest(ctx, 'publish to a topic reaches a bound queue, with topic and subject', async (f) => {
    const topic = f.topic('orders');
    const q = f.queue('billing');
    await f.transport.declareQueue({ queue: q, bindings: [{ topic, pattern: 'order.placed' }] });
    const got = await f.collect(q);
    await f.transport.publish(message({ kind: 'topic', topic, subject: 'order.placed' }, 'hello'));
    const [d] = await got.count(1);
    expect(text(d!.body)).toBe('hello');
    expect(d!.queue).toBe(q);
    expect(d!.topic).toBe(topic);
    expect(d!.subject).toBe('order.placed');
    expect(d!.redelivered).toBe(false);
  });

  contractTest(ctx, '`*` matches one word, `#` zero or more words', async (f) => {
    const topic = f.topic('patterns');
    const star = f.queue('star');
    const hash = f.queue('hash');
    const mid = f.queue('mid');
    const all = f.queue('all');
    await f.transport.declareQueue({ queue: star, bindings: [{ topic, pattern: 'order.*' }] });
    await f.transport.declareQueue({ queue: hash, bindings: [{ topic, pattern: 'order.#' }] });
    await f.transport.declareQueue({ queue: mid, bindings: [{ topic, pattern: '*.placed.#' }] });
    await f.transport.declareQueue({ queue: all, bindings: [{ topic, pattern: '#' }] });
    const [s, h, m, a] = await Promise.all([f.collect(star), f.collect(hash), f.collect(mid), f.collect(all)]);
    const subjects = ['order', 'order.placed', 'order.placed.eu', 'other.thing'];
    for (const subject of subjects) await f.transport.publish(message({ kind: 'topic', topic, subject }));
    await Promise.all([a.count(4), h.count(3), m.count(2), s.count(1)]);
    await sleep(f.ms(150)); // nothing more may arrive
    const subjectsOf = (c: typeof a) => c.deliveries.map((d) => d.subject).sort();
    expect(subjectsOf(a)).toEqual([...subjects].sort());
    expect(subjectsOf(h)).toEqual(['order', 'order.placed', 'order.placed.eu']);
    expect(subjectsOf(m)).toEqual(['order.placed', 'order.placed.eu']);
    expect(subjectsOf(s)).toEqual(['order.placed']);
  });

  contractTest(ctx, 'two queues bound to one topic each get a copy', async (f) => {
    const topic = f.topic('fan');
    const q1 = f.queue('one');
    const q2 = f.queue('two');
    for (const queue of [q1, q2]) await f.transport.declareQueue({ queue, bindings: [{ topic, pattern: 'x.y' }] });
    const [c1, c2] = await Promise.all([f.collect(q1), f.collect(q2)]);
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = message({ kind: 'topic', topic, subject: 'x.y' }, `n${i}`);
      sent.push(m.messageId);
      await f.transport.publish(m);
    }
    await Promise.all([c1.count(5), c2.count(5)]);
    await sleep(f.ms(100));
    expect(c1.deliveries.map((d) => d.messageId).sort()).toEqual([...sent].sort());
    expect(c2.deliveries.map((d) => d.messageId).sort()).toEqual([...sent].sort());
  });

  contractTest(ctx, 'declaring the same queue twice is idempotent (no duplicate bindings)', async (f) => {
    const topic = f.topic('idem');
    const q = f.queue('idem');
    const declaration = { queue: q, bindings: [{ topic, pattern: 'a.*' }] };
    await f.transport.declareQueue(declaration);
    await f.transport.declareQueue(declaration);
    const c = await f.collect(q);
    await f.transport.publish(message({ kind: 'topic', topic, subject: 'a.b' }));
    await c.count(1);
    await sleep(f.ms(150));
    expect(c.deliveries).toHaveLength(1);
  });

  contractTest(ctx, 'a fanout topic ignores subjects and patterns', async (f) => {
    const topic = f.topic('fanout');
    const q1 = f.queue('f1');
    const q2 = f.queue('f2');
    await f.transport.declareQueue({ queue: q1, bindings: [{ topic, pattern: 'unrelated', exchangeType: 'fanout' }] });
    await f.transport.declareQueue({ queue: q2, bindings: [{ topic, pattern: '', exchangeType: 'fanout' }] });
    const [c1, c2] = await Promise.all([f.collect(q1), f.collect(q2)]);
    await f.transport.publish(message({ kind: 'topic', topic, subject: 'any.thing.at.all' }));
    await Promise.all([c1.count(1), c2.count(1)]);
  });

  contractTest(ctx, 'a direct topic compares subjects literally (no wildcards)', async (f) => {
    const topic = f.topic('direct');
    const red = f.queue('red');
    const blue = f.queue('blue');
    const literal = f.queue('literal');
    await f.transport.declareQueue({ queue: red, bindings: [{ topic, pattern: 'red', exchangeType: 'direct' }] });
    await f.transport.declareQueue({ queue: blue, bindings: [{ topic, pattern: 'blue', exchangeType: 'direct' }] });
    await f.transport.declareQueue({ queue: literal, bindings: [{ topic, pattern: 'red.#', exchangeType: 'direct' }] });
    const [r, b, l] = await Promise.all([f.collect(red), f.collect(blue), f.collect(literal)]);
    await f.transport.publish(message({ kind: 'topic', topic, subject: 'red' }));
    await f.transport.publish(message({ kind: 'topic', topic, subject: 'blue' }));
    await f.transport.publish(message({ kind: 'topic', topic, subject: 'red.#' }));
    const err = await rejection(f.transport.publish(message({ kind: 'topic', topic, subject: 'red.x' })));
    expect(err).toBeInstanceOf(UnroutableError);
    await Promise.all([r.count(1), b.count(1), l.count(1)]);
    await sleep(f.ms(100));
    expect(r.deliveries.map((d) => d.subject)).toEqual(['red']);
    expect(b.deliveries.map((d) => d.subject)).toEqual(['blue']);
    expect(l.deliveries.map((d) => d.subject)).toEqual(['red.#']);
  });
}

/** Commands, queue destinations and unroutable publishes. */
function registerDirectRoutingContract(ctx: ContractContext): void {
  contractTest(ctx, "a command reaches the service's queue; another service's command is unroutable", async (f) => {
    const service = f.service('sms');
    const q = f.queue('sms');
    await f.transport.declareQueue({ queue: q, commandsFor: service });
    const c = await f.collect(q);
    await f.transport.publish(message({ kind: 'command', service }, 'send'));
    const [d] = await c.count(1);
    expect(text(d!.body)).toBe('send');
    expect(d!.queue).toBe(q);
    const err = await rejection(f.transport.publish(message({ kind: 'command', service: f.service('nobody') })));
    expect(err).toBeInstanceOf(UnroutableError);
    expect((err as UnroutableError).code).toBe('UNROUTABLE');
  });

  contractTest(ctx, 'a queue destination goes straight into that queue', async (f) => {
    const topic = f.topic('side');
    const q = f.queue('direct-to');
    const other = f.queue('other');
    await f.transport.declareQueue({ queue: q });
    await f.transport.declareQueue({ queue: other, bindings: [{ topic, pattern: '#' }] });
    const [c, o] = await Promise.all([f.collect(q), f.collect(other)]);
    await f.transport.publish(message({ kind: 'queue', queue: q }, 'only-me'));
    const [d] = await c.count(1);
    expect(text(d!.body)).toBe('only-me');
    await sleep(f.ms(100));
    expect(o.deliveries).toHaveLength(0);
  });

  // Events too: a transport always reports an unroutable message. Whether an unsubscribed event
  // is an error is the event's unroutable policy, applied above the transport (bus, relays).
  contractTest(ctx, 'publishing where no queue receives it rejects with UnroutableError', async (f) => {
    const topic = f.topic('lonely');
    const q = f.queue('narrow');
    await f.transport.declareQueue({ queue: q, bindings: [{ topic, pattern: 'a.b' }] });
    const cases = [
      message({ kind: 'topic', topic, subject: 'c.d' }), // topic exists, subject unmatched
      message({ kind: 'topic', topic: f.topic('never-declared'), subject: 'a.b' }), // topic never declared
      message({ kind: 'queue', queue: f.queue('missing') }), // queue does not exist
      message({ kind: 'command', service: f.service('absent') }), // no command route
    ];
    for (const m of cases) {
      const err = await rejection(f.transport.publish(m));
      expect(err).toBeInstanceOf(UnroutableError);
    }
    // The transport is still usable after unroutable publishes.
    const c = await f.collect(q);
    await f.transport.publish(message({ kind: 'topic', topic, subject: 'a.b' }));
    await c.count(1);
  });
}
