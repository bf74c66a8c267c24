import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, silentLogger, type HealthReport } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { TcpProxy } from '@metro/test-support';
import { createOutbox, createOutboxRelay, loopHealthCheck, migrate, type OutboxRelay } from '../src/index.js';
import { AMQP_URL, createTestDb, deleteAmqpTopology, dropSchema, uniqueSchema, waitFor, type TestDb } from './helpers.js';

const schema = uniqueSchema('relay_health');
const topic = `${schema}-topic`;
const Pinged = defineEvent({ topic, type: 'pinged', schema: z.object({ n: z.number() }) });
let direct: TestDb;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  direct = createTestDb();
  await migrate(direct.db, { schema });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await deleteAmqpTopology({ exchanges: [topic] });
  await dropSchema(direct.db, schema);
  await direct.db.destroy();
}, 60_000);

function relayOn(db: TestDb['db'], transport: AmqpTransport, health: Parameters<typeof createOutboxRelay>[0]['health'] = {}): OutboxRelay {
  const relay = createOutboxRelay({ db, transport, schema, logger: silentLogger, pollInterval: 50, health });
  closers.push(
    () => relay.stop(),
    () => transport.close(),
  );
  return relay;
}

async function pendingRows(): Promise<number> {
  const rows = await direct.db
    .withSchema(schema)
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .execute();
  return Number(rows[0]?.n ?? 0);
}

describe('relay.health() on PostgreSQL and RabbitMQ', () => {
  it('is not ready before start, healthy once it publishes (nothing pending), and live throughout', async () => {
    const relay = relayOn(direct.db, new AmqpTransport({ url: AMQP_URL, logger: silentLogger }));
    const idle = await relay.health();
    expect(idle).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    expect(idle.checks['outbox-relay.relay']!.message).toContain('relay.start()');

    await createOutbox({ db: direct.db, schema, source: 'test' }).publish(direct.db, Pinged, { n: 1 });
    await relay.start();
    await waitFor(async () => (await pendingRows()) === 0, 10_000, 'the row published');
    await waitFor(async () => (await relay.health()).status === 'healthy', 5000, 'healthy');
    const report = await relay.health();
    expect(report).toMatchObject({ ready: true, live: true });
    expect(Object.keys(report.checks)).toEqual(['outbox-relay.relay', 'outbox-relay.database', 'outbox-relay.lag']);
    expect(report.checks['outbox-relay.lag']).toMatchObject({ status: 'healthy', message: 'no outbox row is pending', observed: { ageMs: null } });
    expect(report.checks['outbox-relay.database']).toMatchObject({ status: 'healthy', thresholds: { timeoutMs: 1000 } });
    expect(report.checks['outbox-relay.relay']!.observed).toMatchObject({ running: true, crashed: 0, failing: false, loops: 2 });
    expect(report.checks['outbox-relay.relay']!.message).toMatch(/^the outbox relay is running \(last done \d+\.\d s ago\)$/);
    await relay.stop();
  });

  it('reports the lag over its thresholds while rows are pending and the broker cannot take them, and recovers when it can', async () => {
    const broker = await TcpProxy.start();
    closers.push(() => broker.close());
    broker.cutAll();
    const transport = new AmqpTransport({
      url: broker.url(),
      logger: silentLogger,
      publishTimeoutMs: 300,
      connectTimeoutMs: 300,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    const relay = relayOn(direct.db, transport, { name: 'orders-relay', lag: { degraded: '300ms', unhealthy: '1200ms' } });
    await relay.start();
    await createOutbox({ db: direct.db, schema, source: 'test' }).publish(direct.db, Pinged, { n: 2 });

    await waitFor(async () => (await relay.health()).checks['orders-relay.lag']!.status === 'degraded', 10_000, 'lag degraded');
    await waitFor(async () => (await relay.health()).checks['orders-relay.lag']!.status === 'unhealthy', 10_000, 'lag unhealthy');
    const stuck = await relay.health();
    expect(stuck).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    const lag = stuck.checks['orders-relay.lag']!;
    expect(Number(lag.observed['ageMs'])).toBeGreaterThanOrEqual(1200);
    expect(lag.thresholds).toEqual({ degradedMs: 300, unhealthyMs: 1200 });
    expect(lag.message).toMatch(/^the oldest pending outbox row is \d+\.\d s old, over 1\.2 s: /);
    const loop = stuck.checks['orders-relay.relay']!;
    expect(loop).toMatchObject({ status: 'degraded', liveness: true }); // batches fail and back off
    expect(loop.message).toContain('check the broker and the database');
    expect(Number(loop.observed['errors'])).toBeGreaterThan(0);
    expect((await relay.health({ probe: 'liveness' })).live).toBe(true);

    broker.restore();
    await waitFor(async () => (await pendingRows()) === 0, 20_000, 'the row published once the broker is back');
    await waitFor(async () => (await relay.health()).status === 'healthy', 10_000, 'healthy again');
  }, 60_000);

  it('reports the database unreachable within its timeout (a silent database and a refused one), not ready but live', async () => {
    const pgProxy = new TcpProxy('127.0.0.1', 5432);
    const port = await pgProxy.start();
    const proxied = createTestDb(`postgres://postgres@127.0.0.1:${port}/test`, 4);
    closers.push(async () => {
      pgProxy.restore();
      pgProxy.thaw();
      await proxied.db.destroy().catch(() => undefined);
      await pgProxy.close();
    });
    const relay = relayOn(proxied.db, new AmqpTransport({ url: AMQP_URL, logger: silentLogger }), { timeout: '400ms' });
    await relay.start();
    await waitFor(async () => (await relay.health()).ready, 10_000, 'ready');

    pgProxy.freeze(); // a database that stops answering (sockets open, bytes dropped)
    const started = Date.now();
    const silent = await relay.health();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(3000); // bounded by the 400 ms timeout (generous for a loaded machine)
    expect(silent).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    expect(silent.checks['outbox-relay.database']).toMatchObject({ status: 'unhealthy', observed: { timedOut: true }, thresholds: { timeoutMs: 400 } });
    expect(silent.checks['outbox-relay.database']!.message).toContain('did not answer within 400 ms');
    expect(silent.checks['outbox-relay.lag']).toMatchObject({ status: 'degraded', observed: { ageMs: null } });
    const liveness: HealthReport = await relay.health({ probe: 'liveness' });
    expect(liveness.live).toBe(true);
    expect(Object.keys(liveness.checks)).toEqual(['outbox-relay.relay']);

    pgProxy.thaw();
    pgProxy.cutAll(); // a database that refuses connections
    await waitFor(
      async () => {
        const db = (await relay.health()).checks['outbox-relay.database']!;
        return db.status === 'unhealthy' && db.observed['timedOut'] === false;
      },
      10_000,
      'a refused connection reported as an error',
    );
    pgProxy.restore();
    await waitFor(async () => (await relay.health()).checks['outbox-relay.database']!.status === 'healthy', 15_000, 'the database check healthy again');
  }, 60_000);
});

describe('loopHealthCheck', () => {
  const facts = {
    who: 'the outbox relay',
    start: 'relay.start()',
    loops: 2,
    errors: 0,
    lastError: null,
    lastSuccessAt: null,
    lastErrorAt: null,
    dependsOn: 'the broker',
  };
  it('is unhealthy for liveness only when a loop crashed under a running relay; not running is a readiness matter; recent failures degrade it', () => {
    const crashed = loopHealthCheck({ ...facts, running: true, crashed: 1, lastError: 'TypeError: bug' });
    expect(crashed).toMatchObject({ status: 'unhealthy', liveness: true });
    expect(crashed.message).toBe(
      '1 of 2 loop(s) of the outbox relay crashed (last error: TypeError: bug) and will not come back: restart the process, and report the error',
    );
    expect(loopHealthCheck({ ...facts, running: false, crashed: 0 })).toMatchObject({ status: 'unhealthy', liveness: false });
    const now = Date.now();
    const failing = loopHealthCheck({
      ...facts,
      running: true,
      crashed: 0,
      errors: 3,
      lastError: 'PublishError: x',
      lastSuccessAt: now - 5000,
      lastErrorAt: now - 100,
    });
    expect(failing).toMatchObject({ status: 'degraded', liveness: true, observed: { errors: 3 } });
    expect(failing.message).toMatch(/^the outbox relay is failing \(last done 5\.\d s ago; 3 errors, last: PublishError: x\)/);
    // Went through since the failure, or failed long ago with nothing to do since: healthy.
    expect(loopHealthCheck({ ...facts, running: true, crashed: 0, lastSuccessAt: now, lastErrorAt: now - 100 }).status).toBe('healthy');
    expect(loopHealthCheck({ ...facts, running: true, crashed: 0, lastErrorAt: now - 60_000 }).status).toBe('healthy');
    expect(loopHealthCheck({ ...facts, running: true, crashed: 0 })).toMatchObject({
      status: 'healthy',
      liveness: true,
      message: 'the outbox relay is running (nothing done yet)',
    });
  });
});
