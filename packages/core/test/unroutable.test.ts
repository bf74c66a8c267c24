import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigurationError,
  createMetro,
  defineEvent,
  InMemoryOutbox,
  InMemoryTransport,
  MetroHeaders,
  silentLogger,
  TransportClosedError,
  UnroutableError,
  type Logger,
  type Metro,
  type OutgoingMessage,
} from '../src/index.js';
import { createTestMetro, type TestMetro } from '../src/testing/index.js';
import { encode, OrderPlaced, SendSms, waitUntil } from './helpers.js';

/** A logger that keeps what it is given, by level. */
function captureLogger(): Logger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const Nobody = defineEvent({ topic: 'nobody', type: 'listens', schema: z.object({ n: z.number() }) });
const MustArrive = defineEvent({ topic: 'nobody', type: 'must-arrive', schema: z.object({ n: z.number() }), unroutable: 'error' });

describe('unroutable events: the policy (in memory)', () => {
  const stops: Array<Metro | TestMetro> = [];
  afterEach(async () => {
    for (const m of stops.splice(0)) await m.stop();
  });
  function make(logger?: Logger): TestMetro {
    const metro = createTestMetro({ service: 'publisher', logger: logger ?? silentLogger });
    stops.push(metro);
    return metro;
  }

  it("defineEvent defaults to 'accept' and keeps 'error'; anything else is a ConfigurationError", () => {
    expect(Nobody.unroutable).toBe('accept');
    expect(MustArrive.unroutable).toBe('error');
    expect(() => defineEvent({ topic: 't', type: 'x', schema: z.object({}), unroutable: 'drop' as never })).toThrow(ConfigurationError);
  });

  it('an event nobody subscribes to is accepted by default: publish resolves, warned once per destination, then debug, counted in stats()', async () => {
    const logger = captureLogger();
    const metro = make(logger);
    await metro.start();
    const envelope = await metro.publish(Nobody, { n: 1 });
    await metro.publish(Nobody, { n: 2 });
    await metro.publish(Nobody, { n: 3 }, { subject: 'other' });
    expect(envelope.type).toBe('listens');
    expect(metro.stats().unroutable).toEqual({ accepted: 3, byDestination: { 'nobody.listens': 2, 'nobody.other': 1 } });
    const about = logger.lines.filter((l) => l.msg?.includes('published to no queue'));
    expect(about.map((l) => [l.level, l.obj['destination']])).toEqual([
      ['warn', 'nobody.listens'],
      ['debug', 'nobody.listens'],
      ['warn', 'nobody.other'],
    ]);
    expect(about[0]!.obj['messageId']).toBe(envelope.id);
  });

  it("the definition's 'error' policy rejects with UnroutableError; nothing is counted", async () => {
    const metro = make();
    await metro.start();
    await expect(metro.publish(MustArrive, { n: 1 })).rejects.toBeInstanceOf(UnroutableError);
    expect(metro.stats().unroutable.accepted).toBe(0);
  });

  it('a publish overrides the definition, both ways', async () => {
    const metro = make();
    await metro.start();
    await expect(metro.publish(Nobody, { n: 1 }, { unroutable: 'error' })).rejects.toBeInstanceOf(UnroutableError);
    await metro.publish(MustArrive, { n: 2 }, { unroutable: 'accept' });
    expect(metro.stats().unroutable).toEqual({ accepted: 1, byDestination: { 'nobody.must-arrive': 1 } });
    await expect(metro.publish(Nobody, { n: 3 }, { unroutable: 'sometimes' as never })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('ctx.publish follows the same policy: a handler publishing an event nobody subscribes to succeeds; with error, it fails', async () => {
    const metro = make();
    const done: number[] = [];
    metro.on(
      OrderPlaced,
      async (order, ctx) => {
        await ctx.publish(Nobody, { n: 1 });
        if (order.orderId === 'strict') await ctx.publish(Nobody, { n: 2 }, { unroutable: 'error' });
        done.push(1);
      },
      { name: 'fan-out', retry: { attempts: 1 } },
    );
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: 'relaxed' });
    await metro.publish(OrderPlaced, { orderId: 'strict' });
    await metro.drain();
    expect(done).toHaveLength(1);
    const failures = (await metro.failures.list()).items;
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toMatchObject({ name: 'UnroutableError', code: 'UNROUTABLE' });
    expect(metro.stats().unroutable.accepted).toBe(2);
  });

  it('commands stay errors: a command nobody receives rejects, and sending one with accept is a ConfigurationError', async () => {
    const metro = make();
    await metro.start();
    await expect(metro.send(SendSms, { phone: '1', text: 'x' })).rejects.toBeInstanceOf(UnroutableError);
    await expect(metro.send(SendSms, { phone: '1', text: 'x' }, { unroutable: 'accept' })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(metro.send(SendSms, { phone: '1', text: 'x' }, { unroutable: 'error' })).rejects.toBeInstanceOf(UnroutableError);
    expect(metro.stats().unroutable.accepted).toBe(0);
  });

  it('accept only covers unroutable: other publish errors still reject', async () => {
    const transport = new InMemoryTransport();
    const metro = createMetro({ service: 'closed', transport, logger: silentLogger });
    await metro.start();
    await transport.close();
    await expect(metro.publish(Nobody, { n: 1 })).rejects.toBeInstanceOf(TransportClosedError);
    expect(metro.stats().unroutable.accepted).toBe(0);
  });

  it('a subscribed event is delivered as before, and is not counted', async () => {
    const metro = make();
    const got: number[] = [];
    metro.on(Nobody, (p) => void got.push(p.n));
    await metro.start();
    await metro.publish(Nobody, { n: 7 });
    await metro.drain();
    expect(got).toEqual([7]);
    expect(metro.stats().unroutable.accepted).toBe(0);
  });
});

describe('unroutable events through the InMemoryOutbox', () => {
  it('an accepted event row is done (counted); an error-policy row and a command row stay pending and are retried', async () => {
    const transport = new InMemoryTransport();
    const logger = captureLogger();
    const outbox = new InMemoryOutbox({ transport, service: 'orders', retryDelayMs: 10_000, logger });
    try {
      await outbox.transaction(async (trx) => {
        await outbox.publish(trx, Nobody, { n: 1 });
      });
      expect(outbox.pendingCount).toBe(0);
      expect(outbox.unroutableStats()).toEqual({ accepted: 1, byDestination: { 'nobody.listens': 1 } });
      expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj['destination'])).toEqual(['nobody.listens']);

      await outbox.transaction(async (trx) => {
        await outbox.publish(trx, Nobody, { n: 2 }, { unroutable: 'error' });
      });
      expect(outbox.pendingCount).toBe(1);
      await expect(outbox.transaction((trx) => outbox.publish(trx, SendSms, { phone: '1', text: 'x' }, { unroutable: 'accept' }))).rejects.toBeInstanceOf(
        ConfigurationError,
      );
      await outbox.transaction((trx) => outbox.publish(trx, SendSms, { phone: '1', text: 'x' }));
      expect(outbox.pendingCount).toBe(2);
      expect(outbox.unroutableStats().accepted).toBe(1);
    } finally {
      await outbox.close();
      await transport.close();
    }
  });

  it("a definition's 'error' policy travels with the row", async () => {
    const transport = new InMemoryTransport();
    const outbox = new InMemoryOutbox({ transport, service: 'orders', retryDelayMs: 10_000, logger: silentLogger });
    try {
      await outbox.transaction((trx) => outbox.publish(trx, MustArrive, { n: 1 }));
      expect(outbox.pendingCount).toBe(1);
      await transport.declareQueue({ queue: 'late', bindings: [{ topic: 'nobody', pattern: '#' }] });
      await outbox.flush();
      await waitUntil(() => outbox.pendingCount === 0);
      expect((await transport.inspectQueue('late'))?.messages).toBe(1);
    } finally {
      await outbox.close();
      await transport.close();
    }
  });
});

describe('failure records keep no broker dead-letter headers', () => {
  it('x-death, x-first-death-* and x-last-death-* are dropped from the record and from retry copies; other headers stay', async () => {
    class RecordingTransport extends InMemoryTransport {
      readonly published: OutgoingMessage[] = [];
      override publish(message: OutgoingMessage): Promise<void> {
        this.published.push(message);
        return super.publish(message);
      }
    }
    const transport = new RecordingTransport();
    const metro = createTestMetro({ service: 'dead-letters', transport, logger: silentLogger });
    metro.on(
      OrderPlaced,
      () => {
        throw new Error('broken');
      },
      { name: 'broken', retry: { attempts: 2, backoff: 'fixed', delay: '10ms' } },
    );
    await metro.start();
    const envelope = {
      specversion: '1.0',
      id: 'dl-1',
      source: 't',
      type: 'placed',
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { orderId: '1' },
      kind: 'event',
      topic: 'orders',
      subject: 'placed',
    };
    await metro.transport.publish({
      destination: { kind: 'topic', topic: 'orders', subject: 'placed' },
      body: encode(envelope),
      messageId: 'dl-1',
      contentType: 'application/cloudevents+json',
      headers: {
        'x-death': 'count=1',
        'x-first-death-reason': 'expired',
        'x-first-death-queue': 'metro.delay.1000',
        'x-last-death-reason': 'expired',
        'x-tenant': 'eu',
        'x-deathless': 'kept',
      },
    });
    await metro.drain();
    const [failure] = (await metro.failures.list()).items;
    expect(failure).toMatchObject({ reason: 'handler', handler: 'broken', attempts: 2 });
    expect(failure!.headers).toMatchObject({ 'x-tenant': 'eu', 'x-deathless': 'kept', [MetroHeaders.topic]: 'orders' });
    expect(Object.keys(failure!.headers).filter((k) => /^x-(death$|first-death-|last-death-)/.test(k))).toEqual([]);
    // The retry's copy does not carry them either.
    const retry = transport.published.find((m) => m.destination.kind === 'queue');
    expect(retry?.headers).toMatchObject({ 'x-tenant': 'eu', [MetroHeaders.attempt]: 2 });
    expect(Object.keys(retry!.headers).filter((k) => /^x-(death$|first-death-|last-death-)/.test(k))).toEqual([]);
    await metro.stop();
  });
});
