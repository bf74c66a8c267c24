import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Envelope, NewFailure } from '@metro/core';
import { pgFailureStore } from '@metro/outbox-pg';
import { createAdminRouter, createAdminServer, tokenAuth, type AdminRouter, type AdminServer } from '@metro/admin-trpc';
import { CHROMIUM_ARGS, createTestDb } from './support.js';

const TOKENS = { viewer: 'viewer-dashboard-token-0123', operator: 'operator-dashboard-token-0123', admin: 'admin-dashboard-token-0123' } as const;
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let server: AdminServer;
let context: BrowserContext;
let userDataDir: string;
let toRetry: string;
let toDelete: string;

/** A failure as the bus records it, its payload holding `secret`. */
function failure(orderId: string): NewFailure {
  const id = `msg-${orderId}-${Date.now()}`;
  const envelope: Envelope = {
    specversion: '1.0',
    id,
    source: 'test',
    type: 'placed',
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: { orderId, card: 'secret-card-4111' },
    kind: 'event',
    topic: 'orders',
    subject: 'placed',
  };
  return {
    messageId: id,
    service: 'billing',
    queue: 'billing',
    handler: 'charge',
    reason: 'handler',
    type: 'placed',
    topic: 'orders',
    correlationId: id,
    envelope,
    body: new TextEncoder().encode(JSON.stringify(envelope)),
    contentType: 'application/cloudevents+json',
    headers: {},
    error: { name: 'Error', message: `card declined for ${orderId}` },
    attempts: 1,
  };
}

beforeAll(async () => {
  if (!existsSync(entry)) throw new Error('Build the dashboard first: pnpm --filter @metro/admin-web build');
  const { dashboardDir } = (await import(pathToFileURL(entry).href)) as typeof import('../src/index.js');
  env = await createTestDb('admin_web_roles');
  const store = pgFailureStore(env.db, { schema: env.schema });
  toRetry = (await store.record(failure('R-1'))).id;
  toDelete = (await store.record(failure('D-1'))).id;
  admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: tokenAuth({
      viewer: { token: TOKENS.viewer, roles: ['viewer'] },
      operator: { token: TOKENS.operator, roles: ['operator'] },
      admin: { token: TOKENS.admin, roles: ['admin'] },
    }),
    failurePollMs: 200,
    statsIntervalMs: 500,
  });
  server = await createAdminServer({ router: admin, port: 0, staticDir: dashboardDir });
  userDataDir = await mkdtemp(join(tmpdir(), 'metro-admin-web-roles-'));
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
  await env?.drop();
});

/** A new tab (its own sessionStorage) signed in with `token`, on the failed view. */
async function signedIn(token: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(server.url);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('login').click();
  await page.getByTestId('failed-view').waitFor({ timeout: 15_000 });
  return { page, errors };
}

const row = (page: Page, id: string) => page.locator(`[data-testid="failed-table"] tbody tr[data-id="${id}"]`);

it('as a viewer: sees failures and its role, but no retry button, no bulk actions, no payload, no audit tab', async () => {
  const { page, errors } = await signedIn(TOKENS.viewer);
  expect(await page.getByTestId('principal').textContent()).toBe('viewer');
  expect(await page.getByTestId('role').textContent()).toBe('viewer');
  await row(page, toRetry).waitFor({ timeout: 15_000 });
  expect(await page.getByTestId('read-only').textContent()).toContain('viewer role cannot retry');
  expect(await page.getByTestId('retry-selected').count()).toBe(0);
  expect(await page.getByTestId('retry-all').count()).toBe(0);
  expect(await page.getByTestId('restore-selected').count()).toBe(0);
  await row(page, toRetry).click();
  await page.getByTestId('failure-detail').waitFor();
  expect(await page.getByTestId('detail-retry').count()).toBe(0);
  expect(await page.getByTestId('detail-delete').count()).toBe(0);
  expect(await page.getByTestId('payload-hidden').count()).toBe(1);
  expect(await page.getByTestId('failure-detail').textContent()).not.toContain('secret-card-4111');
  expect(await page.locator('a.tab[data-view="audit"]').count()).toBe(0);
  expect(errors).toEqual([]);
  await page.close();
});

it('as an operator: retries from the detail view, deletes and restores; the audit tab (an admin’s) shows it', async () => {
  const { page, errors } = await signedIn(TOKENS.operator);
  expect(await page.getByTestId('role').textContent()).toBe('operator');
  expect(await page.locator('a.tab[data-view="audit"]').count()).toBe(0);
  await row(page, toRetry).click();
  await page.getByTestId('detail-retry').click();
  await expect.poll(() => row(page, toRetry).locator('[data-status]').getAttribute('data-status'), { timeout: 15_000 }).toBe('retried');
  await row(page, toDelete).click();
  await page.getByTestId('detail-delete').click();
  await page.getByTestId('detail-restore').waitFor({ timeout: 15_000 });
  await page.getByTestId('detail-restore').click();
  await expect
    .poll(() => page.locator('[data-testid="failure-detail"] .detail-head [data-status]').getAttribute('data-status'), { timeout: 15_000 })
    .toBe('failed');
  expect(errors).toEqual([]);
  await page.close();

  const audit = await signedIn(TOKENS.admin);
  await audit.page.locator('a.tab[data-view="audit"]').click();
  await audit.page.getByTestId('audit-view').waitFor({ timeout: 15_000 });
  const entries = audit.page.locator('[data-testid="audit-table"] tbody tr[data-principal="operator"]');
  await entries.first().waitFor({ timeout: 15_000 });
  const procedures = await entries.evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-procedure')}:${r.getAttribute('data-outcome')}`));
  expect(procedures).toEqual(['failed.restore:ok', 'failed.delete:ok', 'failed.retry:ok']);
  expect(await entries.last().textContent()).toContain('127.0.0.1');
  expect(audit.errors).toEqual([]);
  await audit.page.close();
});
