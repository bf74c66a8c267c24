// The Sagas tab in real Chromium: sagas a saga runtime moved with real messages (in-memory bus,
// PostgreSQL tables) listed by saga, status and current state; the detail view shows the current
// state, version, pending timeout and the messages that moved it; an operator completes and
// deletes from it (timeouts cancelled); a viewer gets no buttons and no state.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { sql } from 'kysely';
import { createMetro, defineCommand, defineEvent, InMemoryTransport, silentLogger, type Metro, type StandardSchemaV1 } from '@metro/core';
import { createSagaRuntime, defineSaga, migrateSagas, type SagaRuntime } from '@metro/saga';
import { createAdminRouter, createAdminServer, tokenAuth, type AdminRouter, type AdminServer } from '@metro/admin-trpc';
import { waitFor } from '@metro/test-support';
import { CHROMIUM_ARGS, createTestDb } from './support.js';

const TOKENS = { viewer: 'viewer-sagas-dashboard-0123', operator: 'operator-sagas-dashboard-0123' } as const;
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const outputDir = fileURLToPath(new URL('../test-output', import.meta.url));

/** Accepts any object with a string `ref` (the shipment saga's messages and state). */
const byRef: StandardSchemaV1<{ ref: string; card?: string; step?: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) => (typeof (v as { ref?: unknown } | null)?.ref === 'string' ? { value: v as { ref: string } } : { issues: [{ message: 'ref: a string' }] }),
  },
};
const Booked = defineEvent({ topic: 'web_sagas', type: 'booked', schema: byRef });
const Picked = defineEvent({ topic: 'web_sagas', type: 'picked', schema: byRef });
const CarrierLate = defineCommand({ service: 'web-sagas', type: 'carrier-late', schema: byRef });
const shipment = defineSaga({ name: 'shipment', state: byRef, currentState: (s) => s.step ?? 'booked' })
  .startedBy(Booked, { key: (m) => m.ref }, async (m, state, ctx) => {
    await ctx.requestTimeout(CarrierLate, { ref: m.ref }, { delay: '2h' });
    return state ?? { ref: m.ref, card: `secret-${m.ref}`, step: 'booked' };
  })
  .on(Picked, { key: (m) => m.ref }, (_m, state) => ({ ...state, step: 'picked' }))
  .onTimeout(CarrierLate, { key: (m) => m.ref }, (_m, state) => state);

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let server: AdminServer;
let context: BrowserContext;
let userDataDir: string;
let metro: Metro;
let sagas: SagaRuntime;

beforeAll(async () => {
  if (!existsSync(entry)) throw new Error('Build the dashboard first: pnpm --filter @metro/admin-web build');
  const { dashboardDir } = (await import(pathToFileURL(entry).href)) as typeof import('../src/index.js');
  env = await createTestDb('admin_web_sagas');
  await migrateSagas(env.db, { schema: env.schema });
  metro = createMetro({ service: 'web-sagas', transport: new InMemoryTransport({ name: 'web-sagas' }), logger: silentLogger });
  sagas = createSagaRuntime({ metro, db: env.db, schema: env.schema, logger: silentLogger });
  sagas.register(shipment);
  await metro.start();
  for (const ref of ['s-1', 's-2', 's-3']) await metro.publish(Booked, { ref });
  await waitFor(async () => (await sagas.store.list({ saga: 'shipment' })).items.length === 3, 15_000, 'three shipments booked');
  await metro.publish(Picked, { ref: 's-2' });
  await waitFor(async () => (await sagas.store.get('shipment', 's-2'))?.version === 2, 15_000, 's-2 picked');
  admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: tokenAuth({ viewer: { token: TOKENS.viewer, roles: ['viewer'] }, operator: { token: TOKENS.operator, roles: ['operator'] } }),
    statsIntervalMs: 500,
  });
  server = await createAdminServer({ router: admin, port: 0, staticDir: dashboardDir });
  userDataDir = await mkdtemp(join(tmpdir(), 'metro-admin-web-sagas-'));
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
  await metro?.stop();
  await sagas?.close();
  await env?.drop();
});

/**
 * A new tab opened on `#sagas` with `token` already in its sessionStorage (where the login form
 * keeps it), so the dashboard starts signed in; page errors collected, confirmations accepted.
 */
async function onSagasTab(token: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (dialog) => void dialog.accept());
  await page.addInitScript((saved) => sessionStorage.setItem('metro-admin-token', saved), token);
  await page.goto(`${server.url}/#sagas`);
  await page.getByTestId('sagas-view').waitFor({ timeout: 15_000 });
  expect(await page.locator('a.tab.active[data-view="sagas"]').textContent()).toBe('Sagas');
  return { page, errors };
}

const sagaRow = (page: Page, key: string) => page.locator(`[data-testid="sagas-table"] tbody tr[data-saga="shipment"][data-key="${key}"]`);
const pendingTimeouts = async () =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(env.schema, 'scheduled_messages')} WHERE status = 'pending'`.execute(env.db)).rows[0]!.n);

it('as a viewer: lists sagas by current state, shows one with its version, timeout and history, but no state and no buttons', async () => {
  const { page, errors } = await onSagasTab(TOKENS.viewer);
  await sagaRow(page, 's-3').waitFor({ timeout: 15_000 });
  expect(await page.locator('[data-testid="sagas-table"] tbody tr[data-saga]').count()).toBe(3);
  await page.getByTestId('saga-filter-state').fill('picked');
  await page.getByTestId('saga-filter-state').press('Enter');
  await expect.poll(() => page.locator('[data-testid="sagas-table"] tbody tr[data-saga]').count(), { timeout: 15_000 }).toBe(1);
  await sagaRow(page, 's-2').click();
  const detail = page.getByTestId('saga-detail');
  await detail.waitFor({ timeout: 15_000 });
  expect(await page.getByTestId('saga-current-state').textContent()).toBe('picked');
  expect(await page.getByTestId('saga-version').textContent()).toBe('2');
  expect(await page.locator('[data-testid="saga-timeouts"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-message')))).toEqual([
    'web-sagas:carrier-late',
  ]);
  expect(await page.locator('[data-testid="saga-history"] tbody tr td.strong').allTextContents()).toEqual(['web_sagas.booked', 'web_sagas.picked']);
  expect(await page.getByTestId('saga-state-hidden').count()).toBe(1);
  expect(await detail.textContent()).not.toContain('secret-s-2');
  expect(await page.getByTestId('saga-complete').count()).toBe(0);
  expect(await page.getByTestId('saga-delete').count()).toBe(0);
  expect(await page.getByTestId('saga-read-only').textContent()).toContain('viewer role');
  expect(errors).toEqual([]);
  await page.close();
});

it('as an operator: sees the state, completes one saga and deletes another from the detail view; their timeouts are cancelled', async () => {
  const pending = await pendingTimeouts();
  const { page, errors } = await onSagasTab(TOKENS.operator);
  await sagaRow(page, 's-1').click();
  await page.getByTestId('saga-detail').waitFor({ timeout: 15_000 });
  expect(JSON.parse((await page.getByTestId('saga-state').textContent())!)).toEqual({ ref: 's-1', card: 'secret-s-1', step: 'booked' });
  await page.getByTestId('saga-complete').click();
  await expect
    .poll(() => page.locator('[data-testid="saga-detail"] .detail-head [data-status]').getAttribute('data-status'), { timeout: 15_000 })
    .toBe('completed');
  expect(await page.getByTestId('saga-no-timeouts').count()).toBe(1);
  expect(await page.getByTestId('saga-complete').isDisabled()).toBe(true);
  expect((await sagas.store.get('shipment', 's-1'))?.status).toBe('completed');

  await sagaRow(page, 's-3').click();
  await page.getByTestId('saga-delete').waitFor({ timeout: 15_000 });
  await page.getByTestId('saga-delete').click();
  await page.getByTestId('saga-gone').waitFor({ timeout: 15_000 });
  await expect.poll(() => sagaRow(page, 's-3').count(), { timeout: 15_000 }).toBe(0);
  expect(await sagas.store.get('shipment', 's-3')).toBeUndefined();
  await waitFor(async () => (await pendingTimeouts()) === pending - 2, 10_000, 'the two sagas’ timeouts cancelled');

  await page.getByTestId('saga-filter-status').selectOption('completed');
  await expect.poll(() => page.locator('[data-testid="sagas-table"] tbody tr[data-saga]').count(), { timeout: 15_000 }).toBe(1);
  await page.screenshot({ path: join(outputDir, 'sagas-operator.png') });
  expect(errors).toEqual([]);
  await page.close();
});
