import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetro, InMemoryTransport, silentLogger, type HealthReport, type Metro } from '@metro/core';
import { createOutboxRelay, type OutboxRelay } from '@metro/outbox-pg';
import { createAdminRouter, type LiveStats } from '../src/index.js';
import { createTestDb, roleAuth, ROLE_TOKENS, serveAdmin, waitFor } from './support.js';

let env: Awaited<ReturnType<typeof createTestDb>>;
let transport: InMemoryTransport;
let metro: Metro;
let relay: OutboxRelay;
let served: Awaited<ReturnType<typeof serveAdmin>>;
let bare: Awaited<ReturnType<typeof serveAdmin>>;

beforeAll(async () => {
  env = await createTestDb('admin_health');
  transport = new InMemoryTransport({ logger: silentLogger });
  metro = createMetro({ service: 'billing', transport, logger: silentLogger, closeTransport: false });
  relay = createOutboxRelay({ db: env.db, schema: env.schema, transport, logger: silentLogger });
  await metro.start();
  await relay.start();
  const admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: roleAuth(),
    logger: silentLogger,
    statsIntervalMs: 100,
    health: [metro, relay],
  });
  served = await serveAdmin(admin, ROLE_TOKENS.viewer);
  bare = await serveAdmin(createAdminRouter({ db: env.db, schema: env.schema, authorize: roleAuth(), logger: silentLogger }), ROLE_TOKENS.viewer);
});

afterAll(async () => {
  await served?.close();
  await bare?.close();
  await relay?.stop();
  await metro?.stop();
  await transport?.close();
  await env?.drop();
});

describe('the admin stats show the health of the components it was given', () => {
  it('health.report combines the bus and the relay on PostgreSQL, for a viewer, and follows a stopped bus', async () => {
    const report = (await served.client.health.report.query())!;
    expect(report).toMatchObject({ status: 'healthy', ready: true, live: true });
    expect(Object.keys(report.checks).sort()).toEqual([
      'billing.bus',
      'billing.connection.memory',
      'billing.consumers',
      'outbox-relay.database',
      'outbox-relay.lag',
      'outbox-relay.relay',
    ]);
    expect(await bare.client.health.report.query()).toBeNull();

    await metro.stop({ closeTransport: false });
    const stopped = (await served.client.health.report.query())!;
    expect(stopped).toMatchObject({ status: 'unhealthy', ready: false });
    expect(stopped.checks['billing.bus']).toMatchObject({ status: 'unhealthy', observed: { state: 'stopped' } });
    expect(stopped.checks['outbox-relay.lag']!.status).toBe('healthy');
  });

  it('live.onStats pushes the report with the other figures', async () => {
    const pushes: LiveStats[] = [];
    const sub = served.client.live.onStats.subscribe(undefined, { onData: (s) => void pushes.push(s) });
    try {
      await waitFor(() => pushes.length > 0, 10_000, 'a stats push');
    } finally {
      sub.unsubscribe();
    }
    const health: HealthReport | null = pushes[0]!.health;
    expect(health?.checks['outbox-relay.relay']).toMatchObject({ status: 'healthy', observed: { running: true } });
    expect(Object.keys(health?.checks ?? {})).toContain('billing.consumers');
  });
});
