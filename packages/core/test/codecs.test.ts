import { afterEach, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { z } from 'zod';
import { aggregateEnvelopeCodec, createEnvelope, DecodeError, defineEvent, jsonEnvelopeCodec, plainJsonCodec, type Envelope } from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { encode } from './helpers.js';

const UserCreated = defineEvent({ topic: 'user', type: 'user_created', schema: z.object({ name: z.string() }) });

describe('jsonEnvelopeCodec', () => {
  it('round-trips a CloudEvents envelope with UUIDv7 ids and rejects bad input', async () => {
    const env = await createEnvelope(UserCreated, { name: 'ada' }, { source: 'users' });
    expect(env.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const later = await createEnvelope(UserCreated, { name: 'bob' }, { source: 'users' });
    expect(later.id > env.id).toBe(true);
    const back = jsonEnvelopeCodec.decode({ body: jsonEnvelopeCodec.encode(env).body, headers: {} });
    expect(back).toEqual(env);
    expect(() => jsonEnvelopeCodec.decode({ body: encode('nope'), headers: {} })).toThrow(DecodeError);
    expect(() => jsonEnvelopeCodec.decode({ body: encode({ ...env, id: undefined }), headers: {} })).toThrow(/"id"/);
    expect(() => jsonEnvelopeCodec.decode({ body: encode('{"\\u005f_proto__":{"x":1}}'), headers: {} })).toThrow(/__proto__/);
  });
});

describe('plainJsonCodec', () => {
  it('builds the envelope from the delivery and keeps one id across redeliveries', () => {
    const body = encode({ name: 'ada' });
    const a = plainJsonCodec.decode({ body, headers: { 'x-correlation-id': 'c-1' }, topic: 'legacy', subject: 'user.created', timestamp: 1_700_000_000_000 });
    const b = plainJsonCodec.decode({ body, headers: {}, topic: 'legacy', subject: 'user.created' });
    expect(a).toMatchObject({ type: 'user.created', subject: 'user.created', topic: 'legacy', data: { name: 'ada' }, kind: 'event', correlationid: 'c-1' });
    expect(a.time).toBe(new Date(1_700_000_000_000).toISOString());
    expect(a.id).toBe(b.id);
    const other = plainJsonCodec.decode({ body: encode({ name: 'bob' }), headers: {}, topic: 'legacy', subject: 'user.created' });
    expect(other.id).not.toBe(a.id);
    expect(plainJsonCodec.decode({ body, headers: {}, topic: 'legacy', subject: 's', messageId: 'broker-id' }).id).toBe('broker-id');
    expect(() => plainJsonCodec.decode({ body, headers: {}, topic: 'legacy' })).toThrow(DecodeError);
    expect(() => plainJsonCodec.decode({ body: encode('{"__proto__":1}'), headers: {}, subject: 'x' })).toThrow(DecodeError);
    const encoded = plainJsonCodec.encode(a);
    expect(JSON.parse(new TextDecoder().decode(encoded.body))).toEqual({ name: 'ada' });
    expect(encoded.contentType).toBe('application/json');
  });
});

describe('aggregateEnvelopeCodec', () => {
  const python = { eventId: 'e-1', eventTime: '2024-05-01T10:00:00+00:00', eventType: 'user_created', aggregate: 'user', payload: { name: 'ada' } };

  it('decodes and encodes the {eventId, eventTime, eventType, aggregate, payload} envelope', () => {
    const env = aggregateEnvelopeCodec.decode({ body: encode(python), headers: {}, topic: 'user', subject: 'user_created' });
    expect(env).toMatchObject({
      id: 'e-1',
      type: 'user_created',
      topic: 'user',
      subject: 'user_created',
      data: { name: 'ada' },
      time: '2024-05-01T10:00:00.000Z',
    });
    const round = JSON.parse(new TextDecoder().decode(aggregateEnvelopeCodec.encode(env).body));
    expect(round).toEqual({ ...python, eventTime: '2024-05-01T10:00:00.000Z' });
    expect(() => aggregateEnvelopeCodec.decode({ body: encode({ ...python, eventId: 3 }), headers: {} })).toThrow(/eventId/);
    expect(() => aggregateEnvelopeCodec.decode({ body: encode({ ...python, eventTime: 'soon' }), headers: {} })).toThrow(/eventTime/);
    expect(() => aggregateEnvelopeCodec.decode({ body: encode({ ...python, payload: undefined }), headers: {} })).toThrow(/payload/);
  });

  describe('through the bus', () => {
    let metro: TestMetro;
    afterEach(async () => {
      await metro.stop();
    });

    it('consumes Python-style messages on exchange = aggregate, routing key = type, and publishes them back in that format', async () => {
      metro = createTestMetro({ service: 'py-bridge' });
      const got: Envelope[] = [];
      const names: string[] = [];
      metro.on({ topic: 'user', subject: 'user_created', codec: aggregateEnvelopeCodec }, (_d, ctx) => void got.push(ctx.envelope));
      metro.on(UserCreated, (u) => void names.push(u.name)); // the same topic: decoded by the topic's codec, validated by zod
      await metro.start();
      await metro.transport.publish({
        destination: { kind: 'topic', topic: 'user', subject: 'user_created' },
        body: encode(python),
        messageId: '',
        contentType: 'application/json',
        headers: {},
      });
      await metro.publish(UserCreated, { name: 'grace' }, { codec: aggregateEnvelopeCodec });
      await metro.drain();
      expect(got.map((e) => e.data)).toEqual([{ name: 'ada' }, { name: 'grace' }]);
      expect(names).toEqual(['ada', 'grace']);
      expect((await metro.failures.list()).items).toHaveLength(0);
    });

    it('plain JSON producers: redeliveries keep one id, retries keep the topic and subject', async () => {
      metro = createTestMetro({ service: 'plain', retry: { attempts: 2, delay: '5ms' } });
      const ids: string[] = [];
      const subjects: string[] = [];
      metro.on({ topic: 'legacy', subject: 'user.*', codec: plainJsonCodec }, (_d, ctx) => {
        ids.push(ctx.messageId);
        subjects.push(`${ctx.envelope.topic}/${ctx.envelope.subject}`);
        if (ctx.attempt === 1) throw new Error('retry me');
      });
      await metro.start();
      await metro.transport.publish({
        destination: { kind: 'topic', topic: 'legacy', subject: 'user.created' },
        body: encode({ n: 1 }),
        messageId: '',
        contentType: 'application/json',
        headers: {},
      });
      await metro.drain();
      expect(ids).toHaveLength(2);
      expect(ids[0]).toBe(ids[1]);
      expect(subjects).toEqual(['legacy/user.created', 'legacy/user.created']);
    });
  });
});

describe('definitions with Standard Schema', () => {
  let metro: TestMetro;
  afterEach(async () => {
    await metro.stop();
  });

  it('validates on publish and consume with zod and valibot, handing handlers the parsed output', async () => {
    const ZodEvent = defineEvent({ topic: 'std', type: 'zod', schema: z.object({ n: z.coerce.number(), tag: z.string().default('none') }) });
    const ValiEvent = defineEvent({ topic: 'std', type: 'vali', schema: v.object({ n: v.pipe(v.string(), v.transform(Number)) }) });
    metro = createTestMetro({ service: 'std' });
    const seen: unknown[] = [];
    metro.on(ZodEvent, (p) => {
      const n: number = p.n;
      seen.push({ n, tag: p.tag });
    });
    metro.on(ValiEvent, (p) => {
      const n: number = p.n;
      seen.push({ vali: n });
    });
    await metro.start();
    await metro.publish(ZodEvent, { n: '5' });
    await metro.publish(ValiEvent, { n: '7' });
    // @ts-expect-error n must be a string for valibot's input
    await expect(metro.publish(ValiEvent, { n: 7 })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await metro.drain();
    expect(seen).toHaveLength(2);
    expect(seen).toEqual(expect.arrayContaining([{ n: 5, tag: 'none' }, { vali: 7 }]));
  });
});
