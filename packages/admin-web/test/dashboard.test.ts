import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createMetro, defineEvent, InMemoryTransport, type Metro, type StandardSchemaV1 } from '@metro/core';
import { createOutboxRelay, pgFailureStore } from '@metro/outbox-pg';
import { createAdminRouter, createAdminServer, tokenAuth, type AdminRouter, type AdminServer } from '@metro/admin-trpc';
import { CHROMIUM_ARGS, createTestDb } from './support.js';

const TOKEN = 'dashboard-e2e-token-0123';
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const outputDir = fileURLToPath(new URL('../test-output', import.meta.url));

const orderSchema: StandardSchemaV1<{ orderId: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) =>
      typeof value === 'object' && value !== null && typeof (value as { orderId?: unknown }).orderId === 'string'
        ? { value: value as { orderId: string } }
        : { issues: [{ message: 'orderId must be a string' }] },
  },
};
const OrderPlaced = defineEvent({ topic: 'e2e-orders', type: 'placed', schema: orderSchema });

let env: Awaited<ReturnType<typeof createTestDb>>;
let transport: InMemoryTransport;
let metro: Metro;
let relay: ReturnType<typeof createOutboxRelay>;
let admin: AdminRouter;
let server: AdminServer;
let context: BrowserContext;
let userDataDir: string;
let failing = true;
const handled: string[] = [];

beforeAll(async () => {
  if (!existsSync(entry)) throw new Error('Build the dashboard first: pnpm --filter @metro/admin-web build');
  // The built package entry, as an installed copy is used: the server serves what `dashboardDir` names.
  const { dashboardDir } = (await import(pathToFileURL(entry).href)) as typeof import('../src/index.js');
  env = await createTestDb('admin_web_e2e');
  transport = new InMemoryTransport();
  const failures = pgFailureStore(env.db, { schema: env.schema });
  metro = createMetro({ service: 'billing', transport, failures, retry: { attempts: 1 } });
  metro.on(
    OrderPlaced,
    async (payload) => {
      if (failing) throw new Error(`card declined for order ${payload.orderId}`);
      handled.push(payload.orderId);
    },
    { name: 'charge' },
  );
  await metro.start();
  relay = createOutboxRelay({ db: env.db, transport, schema: env.schema, pollInterval: 100 });
  await relay.start();
  admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: tokenAuth({ operator: { token: TOKEN, roles: ['operator'] } }),
    transport,
    queues: ['billing'],
    failurePollMs: 200,
    statsIntervalMs: 500,
    health: [metro, relay],
  });
  server = await createAdminServer({ router: admin, port: 0, staticDir: dashboardDir });
  userDataDir = await mkdtemp(join(tmpdir(), 'metro-admin-web-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 860 },
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  await server?.close();
  await admin?.close();
  await relay?.stop();
  await metro?.stop();
  await transport?.close();
  await env?.drop();
});

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(server.url);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
}

/** The trace the failing message was published in. */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

it('refuses a wrong token at login', async () => {
  const page = await context.newPage();
  await signIn(page, 'not-the-token');
  await expect.poll(() => page.locator('.login .error').textContent(), { timeout: 10_000 }).toContain('invalid admin token');
  await page.close();
});

it('shows a failure live, retries it from the detail view, and the row turns resolved', async () => {
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await signIn(page, TOKEN);
  await page.getByTestId('failed-view').waitFor({ timeout: 15_000 });
  await expect.poll(() => page.getByTestId('live').textContent(), { timeout: 15_000 }).toBe('live');
  await expect.poll(() => page.locator('td.empty').count(), { timeout: 10_000 }).toBe(1);

  // A handler fails: the failure appears without a reload.
  // From a traced producer: the failure keeps its trace id, and the detail view shows it.
  await metro.publish(OrderPlaced, { orderId: 'A-1001' }, { headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } });
  const row = page.locator('[data-testid="failed-table"] tbody tr[data-type="placed"]');
  await row.first().waitFor({ timeout: 15_000 });
  expect(await row.count()).toBe(1);
  await expect.poll(() => row.locator('[data-status]').getAttribute('data-status')).toBe('failed');
  expect(await row.textContent()).toContain('card declined for order A-1001');

  // The operator opens it, sees payload and stack, and retries once the bug is fixed.
  await row.click();
  const detail = page.getByTestId('failure-detail');
  await detail.waitFor();
  expect(await page.getByTestId('payload-editor').inputValue()).toContain('A-1001');
  expect(await detail.textContent()).toContain('card declined');
  expect(await detail.textContent()).toContain(`Trace${TRACE_ID}`);
  await page.screenshot({ path: join(outputDir, 'dashboard-failed.png') });
  failing = false;
  await page.getByTestId('detail-retry').click();

  await expect.poll(() => handled, { timeout: 20_000 }).toEqual(['A-1001']);
  await expect.poll(() => row.locator('[data-status]').getAttribute('data-status'), { timeout: 20_000 }).toBe('resolved');
  await expect.poll(() => detail.locator('.detail-head [data-status]').getAttribute('data-status'), { timeout: 10_000 }).toBe('resolved');
  await mkdir(outputDir, { recursive: true });
  await page.screenshot({ path: join(outputDir, 'dashboard-resolved.png') });
  expect(pageErrors).toEqual([]);
  await page.close();
});

it('shows outbox stats with a chart', async () => {
  const page = await context.newPage();
  await signIn(page, TOKEN);
  await page.getByTestId('failed-view').waitFor({ timeout: 15_000 });
  await page.locator('a.tab[data-view="stats"]').click();
  await page.getByTestId('stats-view').waitFor({ timeout: 15_000 });
  await page.locator('.chart svg').first().waitFor({ timeout: 15_000 });
  expect(await page.locator('.card').count()).toBeGreaterThanOrEqual(6);
  await expect.poll(() => page.locator('.two-col tbody tr').first().textContent(), { timeout: 10_000 }).toContain('billing');
  // The health of the bus and the relay the admin server was given.
  const health = page.getByTestId('health');
  await expect.poll(() => health.locator('h3 [data-status]').getAttribute('data-status'), { timeout: 10_000 }).toBe('healthy');
  expect(await health.locator('tr[data-check]').count()).toBe(6);
  expect(await health.locator('tr[data-check="billing.consumers"]').textContent()).toContain('1 of 1 consumers attached');
  expect(await health.locator('tr[data-check="outbox-relay.lag"]').textContent()).toContain('no outbox row is pending');
  await page.waitForTimeout(2000);
  await page.screenshot({ path: join(outputDir, 'dashboard-stats.png') });
  await page.close();
});
