import { describe, expect, it } from 'vitest';
import {
  createEnvelope,
  createMetro,
  defineEvent,
  InMemoryTransport,
  jsonEnvelopeCodec,
  resolveRetryPolicy,
  Router,
  type HandlerEntry,
  type StandardSchemaV1,
  silentLogger,
} from '../src/index.js';
import { OrderPlaced, syntheticDelivery } from './helpers.js';

/** A Standard Schema whose validation is asynchronous (as some libraries' refinements are). */
const asyncSchema: StandardSchemaV1<{ n: number }, { n: number; checked: true }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: async (value) => {
      await new Promise((r) => setTimeout(r, 1));
      const n = (value as { n?: unknown }).n;
      return typeof n === 'number' ? { value: { n, checked: true as const } } : { issues: [{ message: 'n must be a number', path: ['n'] }] };
    },
  },
};

const entry = (name: string, priority = 0): HandlerEntry => ({
  name,
  priority,
  order: 0,
  definition: undefined,
  schema: undefined,
  fn: () => undefined,
  retry: resolveRetryPolicy({ attempts: 1 }),
  timeoutMs: 1000,
  inbox: false,
});

describe('Router', () => {
  it('stays correct past its result cache limit and orders by priority', () => {
    const router = new Router();
    router.addEvent('t', 'a.*', entry('star'));
    router.addEvent('t', 'a.x', entry('exact', 5));
    router.addEvent('t', /^a\.\d+$/, entry('digits', 1));
    for (let i = 0; i < 12_000; i++) {
      const names = router.match('t', `a.${i}`).map((e) => e.name);
      expect(names).toEqual(['digits', 'star']);
    }
    expect(router.match('t', 'a.x').map((e) => e.name)).toEqual(['exact', 'star']);
    expect(router.match('other', 'a.x')).toHaveLength(0);
    expect(router.bindings.map((b) => b.pattern)).toEqual(['a.*', 'a.x', '#']);
  });
});

describe('the dispatch step with synthetic deliveries', () => {
  it('decodes, validates (sync and async schemas), runs handlers in order and acks once', async () => {
    const Async = defineEvent({ topic: 'orders', type: 'async', schema: asyncSchema });
    const metro = createMetro({ service: 'svc', logger: silentLogger, transport: new InMemoryTransport({ logger: silentLogger }) });
    const calls: string[] = [];
    metro.on(OrderPlaced, (p) => void calls.push(`a:${p.orderId}`));
    metro.on(OrderPlaced, async (p) => {
      await new Promise((r) => setTimeout(r, 1));
      calls.push(`b:${p.orderId}`);
    });
    metro.on(OrderPlaced, (p) => void calls.push(`c:${p.orderId}`));
    metro.on(Async, (p) => void calls.push(`async:${p.n}:${p.checked}`));
    const dispatch = metro.dispatcher();
    const placed = await createEnvelope(OrderPlaced, { orderId: '1' }, { source: 't' });
    const d1 = syntheticDelivery(jsonEnvelopeCodec.encode(placed).body);
    await dispatch(d1);
    expect(calls).toEqual(['a:1', 'b:1', 'c:1']);
    expect(d1.settled).toEqual(['ack']);
    const asyncEnv = await createEnvelope(Async, { n: 2 }, { source: 't' });
    const d2 = syntheticDelivery(jsonEnvelopeCodec.encode(asyncEnv).body);
    await dispatch(d2);
    expect(calls.at(-1)).toBe('async:2:true');
    const bad = syntheticDelivery(jsonEnvelopeCodec.encode({ ...asyncEnv, id: 'bad-async', data: { n: 'x' } }).body);
    await dispatch(bad);
    expect(bad.settled).toEqual(['ack']);
    const { items } = await metro.failures.list();
    expect(items.map((f) => [f.messageId, f.reason])).toEqual([['bad-async', 'validation']]);
    await metro.stop();
  });

  it("a delivery past its queue's delivery limit is recorded as a delivery-limit failure and acked, no handler runs", async () => {
    const metro = createMetro({ service: 'svc', logger: silentLogger, transport: new InMemoryTransport({ logger: silentLogger }) });
    let ran = 0;
    metro.on(OrderPlaced, () => void ran++);
    const dispatch = metro.dispatcher();
    const placed = await createEnvelope(OrderPlaced, { orderId: 'poison' }, { source: 't' });
    const poison = syntheticDelivery(jsonEnvelopeCodec.encode(placed).body, { deliveryLimitReached: true });
    await dispatch(poison);
    expect(ran).toBe(0);
    expect(poison.settled).toEqual(['ack']);
    const { items } = await metro.failures.list({ reason: 'delivery-limit' });
    expect(items.map((f) => [f.messageId, f.reason, f.error.code])).toEqual([[placed.id, 'delivery-limit', 'DELIVERY_LIMIT']]);
    await metro.stop();
  });
});
