import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CLOUDEVENTS_JSON, defineCommand, HandlerTimeoutError, ValidationError, type OutgoingMessage } from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { encode, OrderPlaced, waitUntil } from './helpers.js';

const raw = (queueOrTopic: { topic: string; subject: string } | { service: string }, body: Uint8Array, messageId = ''): OutgoingMessage => ({
  destination: 'service' in queueOrTopic ? { kind: 'command', service: queueOrTopic.service } : { kind: 'topic', ...queueOrTopic },
  body,
  messageId,
  contentType: CLOUDEVENTS_JSON,
  headers: {},
});

const envelopeOf = (overrides: Record<string, unknown>) => ({
  specversion: '1.0',
  id: `id-${Math.random()}`,
  source: 'test',
  type: 'placed',
  time: new Date().toISOString(),
  kind: 'event',
  topic: 'orders',
  subject: 'placed',
  data: { orderId: '1' },
  ...overrides,
});

describe('bad input never crashes the consumer and is never lost', () => {
  let metro: TestMetro;
  afterEach(async () => {
    await metro.stop();
  });

  it('undecodable bytes, pollution keys and oversized bodies become failures and are acked', async () => {
    metro = createTestMetro({ service: 'bad-bytes', maxMessageBytes: 100_000 });
    let handled = 0;
    metro.on(OrderPlaced, () => void handled++);
    await metro.start();
    const t = metro.transport;
    const to = { topic: 'orders', subject: 'placed' };
    await t.publish(raw(to, new Uint8Array([0xff, 0xfe, 0x00]), 'not-utf8'));
    await t.publish(raw(to, encode('{"not json'), 'not-json'));
    await t.publish(raw(to, encode('[1,2]'), 'array'));
    await t.publish(raw(to, encode({ specversion: '1.0', id: 'x' }), 'missing-attrs'));
    await t.publish(raw(to, encode('{"__proto__":{"polluted":true},"specversion":"1.0"}'), 'proto'));
    await t.publish(raw(to, encode(envelopeOf({ data: { constructor: { prototype: { polluted: true } } } })), 'ctor'));
    await t.publish(raw(to, encode(envelopeOf({ data: { orderId: 'x'.repeat(200_000) } })), 'big'));
    await t.publish(raw(to, encode(envelopeOf({})), 'fine'));
    await metro.drain();
    expect(handled).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const { items } = await metro.failures.list({ limit: 100 });
    const byId = Object.fromEntries(items.map((f) => [f.messageId, f]));
    for (const id of ['not-utf8', 'not-json', 'array', 'missing-attrs', 'proto', 'ctor']) {
      expect(byId[id]?.reason, id).toBe('decode');
      expect(byId[id]?.error.code, id).toBe('DECODE_FAILED');
      expect(byId[id]?.envelope, id).toBeNull();
    }
    expect(byId.big?.reason).toBe('oversized');
    expect(byId.big?.error).toMatchObject({ name: 'MessageOversizedError', code: 'MESSAGE_OVERSIZED' });
    expect((await metro.failures.list({ errorName: 'MessageOversizedError' })).items.map((f) => f.messageId)).toEqual(['big']);
    expect(byId.big?.body.byteLength).toBe(64 * 1024);
    expect(items).toHaveLength(7);
    expect((await t.inspectQueue('bad-bytes'))?.messages).toBe(0);
  });

  it('bytes with no message id get one derived from the queue and the bytes: a redelivery upserts the same record', async () => {
    metro = createTestMetro({ service: 'bad-no-id' });
    metro.on(OrderPlaced, () => undefined);
    await metro.start();
    const to = { topic: 'orders', subject: 'placed' };
    // Two deliveries of the same bytes (a redelivery after a crash between the record and the ack), and other bytes.
    await metro.transport.publish(raw(to, encode('{"not json')));
    await metro.transport.publish(raw(to, encode('{"not json')));
    await metro.transport.publish(raw(to, encode('{"not json either')));
    await metro.drain();
    const { items } = await metro.failures.list({ limit: 100 });
    expect(items).toHaveLength(2);
    const again = items.find((f) => new TextDecoder().decode(f.body) === '{"not json');
    expect(again).toMatchObject({ reason: 'decode', attempts: 2 });
    expect(again!.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('schema-invalid payloads are validation failures per handler, not retried; pattern handlers get the raw data', async () => {
    metro = createTestMetro({ service: 'bad-schema' });
    let typed = 0;
    const rawSeen: unknown[] = [];
    metro.on(OrderPlaced, () => void typed++, { name: 'typed', retry: { attempts: 5 } });
    metro.on({ topic: 'orders', subject: 'placed' }, (data) => void rawSeen.push(data), { name: 'raw' });
    await metro.start();
    await metro.transport.publish(raw({ topic: 'orders', subject: 'placed' }, encode(envelopeOf({ id: 'bad-1', data: { orderId: 42 } }))));
    await metro.drain();
    expect(typed).toBe(0);
    expect(rawSeen).toEqual([{ orderId: 42 }]);
    const { items } = await metro.failures.list();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ reason: 'validation', handler: 'typed', attempts: 1, messageId: 'bad-1' });
    expect(items[0]!.error.code).toBe('VALIDATION_FAILED');
    expect(items[0]!.error.message).toContain('orderId');
  });

  it('publishing an invalid payload throws ValidationError to the caller and sends nothing', async () => {
    metro = createTestMetro({ service: 'bad-publish' });
    let handled = 0;
    metro.on(OrderPlaced, () => void handled++);
    await metro.start();
    // @ts-expect-error orderId must be a string
    const attempt = metro.publish(OrderPlaced, { orderId: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ValidationError);
    await expect(attempt).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await metro.drain();
    expect(handled).toBe(0);
    expect((await metro.failures.list()).items).toHaveLength(0);
  });

  it('handlers throwing non-Error values are recorded with a typed error', async () => {
    metro = createTestMetro({ service: 'bad-throw', retry: { attempts: 1 } });
    const values: unknown[] = ['a string', { code: 42 }, undefined, null, 7];
    values.forEach((value, i) =>
      metro.on(
        OrderPlaced,
        () => {
          throw value;
        },
        { name: `h${i}` },
      ),
    );
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    const { items } = await metro.failures.list();
    expect(items).toHaveLength(5);
    for (const f of items) expect(f.error).toMatchObject({ name: 'NonErrorThrown', code: 'NON_ERROR_THROWN' });
    expect(items.find((f) => f.handler === 'h0')!.error.message).toContain('a string');
    expect(items.find((f) => f.handler === 'h1')!.error.message).toContain('{"code":42}');
  });

  it('a handler that never settles fails with HandlerTimeoutError after its timeout and its signal is aborted', async () => {
    metro = createTestMetro({ service: 'bad-hang', retry: { attempts: 2, delay: '5ms' } });
    const signals: AbortSignal[] = [];
    let after = 0;
    metro.on(
      OrderPlaced,
      (_p, ctx) => {
        signals.push(ctx.signal);
        return new Promise(() => undefined);
      },
      { name: 'hangs', timeout: '50ms' },
    );
    metro.on(OrderPlaced, () => void after++, { name: 'after' });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await metro.drain();
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted && s.reason instanceof HandlerTimeoutError)).toBe(true);
    expect(after).toBe(1);
    const { items } = await metro.failures.list();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ handler: 'hangs', attempts: 2 });
    expect(items[0]!.error.code).toBe('HANDLER_TIMEOUT');
  });

  it('an expired command is recorded as expired and not executed', async () => {
    metro = createTestMetro({ service: 'sms-x' });
    const Send = defineCommand({ service: 'sms-x', type: 'send', schema: z.object({ to: z.string() }), expiresIn: '30s' });
    const done: string[] = [];
    metro.handle(Send, (c) => void done.push(c.to));
    await metro.start();
    await metro.send(Send, { to: 'fresh' });
    await metro.transport.publish(
      raw(
        { service: 'sms-x' },
        encode(
          envelopeOf({
            id: 'old',
            kind: 'command',
            type: 'send',
            service: 'sms-x',
            topic: undefined,
            data: { to: 'late' },
            expiresat: new Date(Date.now() - 1000).toISOString(),
          }),
        ),
      ),
    );
    await metro.send(Send, { to: 'tiny' }, { expiresInMs: 1 });
    await new Promise((r) => setTimeout(r, 5));
    await metro.drain();
    expect(done).toContain('fresh');
    expect(done).not.toContain('late');
    const expired = (await metro.failures.list({ reason: 'expired' })).items;
    expect(expired.map((f) => f.messageId)).toContain('old');
    expect(expired[0]!.error.code).toBe('MESSAGE_EXPIRED');
    // an operator can still run it on purpose
    const old = expired.find((f) => f.messageId === 'old')!;
    expect(await metro.retryFailure(old.id)).toBe(true);
    await metro.drain();
    expect(done).toContain('late');
    expect((await metro.failures.get(old.id))?.status).toBe('resolved');
  });

  it('the process stays up while a burst of mixed bad input is processed', async () => {
    metro = createTestMetro({ service: 'bad-mixed' });
    let good = 0;
    metro.on(OrderPlaced, () => void good++);
    await metro.start();
    const to = { topic: 'orders', subject: 'placed' };
    for (let i = 0; i < 30; i++) {
      await metro.transport.publish(raw(to, i % 3 === 0 ? encode('garbage') : encode(envelopeOf({ id: `ok-${i}` })), `m-${i}`));
    }
    await waitUntil(async () => (await metro.failures.list()).items.length === 10 && good === 20);
    await metro.drain();
    expect(good).toBe(20);
  });
});
