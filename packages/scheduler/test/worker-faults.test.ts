import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pgNotifications } from '@metro/outbox-pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, createSchedulerWorker } from '../src/index.js';
import { TcpProxy } from '@metro/test-support';
import { createDb, createTestDb, DATABASE_URL, outboxRows, Reminder, sleep, waitFor, type TestDb } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
let t: TestDb;
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await createTestDb('sched_fault');
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await t.close();
});

async function counts(type: string) {
  const rows = (await outboxRows(t.db, t.schema)).filter((r) =>
    (JSON.parse(Buffer.from(r.body).toString('utf8')) as { data: { orderId: string } }).data.orderId.startsWith(type),
  );
  return { total: rows.length, distinct: new Set(rows.map((r) => r.message_id)).size, ids: new Set(rows.map((r) => r.message_id)) };
}

describe('worker faults', () => {
  it('a worker SIGKILLed mid-batch loses nothing and doubles nothing', async () => {
    const scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'orders' });
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) ids.push(await scheduler.schedule(undefined, Reminder, { orderId: `kill-${i}` }, { at: new Date(Date.now() - 10_000 + i) }));
    // Make each firing slow (20 ms per row) so a batch of 50 is in flight for about a second.
    const table = sql.id(t.schema, 'scheduled_messages');
    const fn = sql.id(t.schema, 'slow_fire');
    await sql`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.02); RETURN NEW; END $$`.execute(t.db);
    await sql`CREATE TRIGGER slow_fire BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`.execute(t.db);

    const appName = `sched-child-${t.schema}`;
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'worker-child.ts')], {
      env: { ...process.env, DATABASE_URL, SCHEMA: t.schema, BATCH: '50', APP_NAME: appName },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`worker child exited early (${code})`)));
    });
    // Wait until the first batch committed and the next one is mid-transaction.
    await waitFor(async () => (await counts('kill-')).total >= 50, 15_000);
    await waitFor(
      async () => {
        const r = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ${appName} AND xact_start IS NOT NULL`.execute(
          t.db,
        );
        return Number(r.rows[0]!.n) > 0;
      },
      5000,
      5,
    );
    await sleep(200);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const afterKill = await counts('kill-');
    expect(afterKill.total).toBeGreaterThanOrEqual(50);
    expect(afterKill.total).toBeLessThan(150); // it died with work left
    expect(afterKill.total % 50).toBe(0); // only whole batches committed

    await sql`DROP TRIGGER slow_fire ON ${table}`.execute(t.db);
    const survivor = createSchedulerWorker({ db: t.db, schema: t.schema, batchSize: 50, pollInterval: 200 });
    await survivor.start();
    try {
      await waitFor(async () => (await counts('kill-')).total >= 150, 15_000);
      await sleep(300);
    } finally {
      await survivor.stop();
    }
    const final = await counts('kill-');
    expect(final.total).toBe(150);
    expect(final.distinct).toBe(150);
    expect(final.ids).toEqual(new Set(ids));
  });

  it('survives a database outage and fires what came due during it, once', async () => {
    const proxy = new TcpProxy('127.0.0.1', 5432);
    await proxy.start();
    const proxied = createDb(`postgres://postgres@127.0.0.1:${proxy.port}/test`, 4);
    const errors: unknown[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error(obj: Record<string, unknown>) {
        errors.push(obj.err);
      },
    };
    const worker = createSchedulerWorker({ db: proxied.db, schema: t.schema, listen: pgNotifications(proxied.pool), pollInterval: 300, logger });
    const scheduler = createScheduler({ db: t.db, schema: t.schema, source: 'orders' });
    await worker.start();
    try {
      const before = await scheduler.schedule(undefined, Reminder, { orderId: 'outage-before' }, { delay: 100 });
      await waitFor(async () => (await counts('outage-before')).ids.has(before), 5000);

      proxy.cutAll();
      const during: string[] = [];
      for (let i = 0; i < 5; i++) during.push(await scheduler.schedule(undefined, Reminder, { orderId: `outage-during-${i}` }, { delay: 100 + i * 50 }));
      await sleep(1500);
      expect((await counts('outage-during')).total).toBe(0);
      expect(errors.length).toBeGreaterThan(0); // it noticed, logged, and kept going

      proxy.restore();
      await waitFor(async () => (await counts('outage-during')).total >= 5, 15_000);
      await sleep(500);
      const final = await counts('outage-during');
      expect(final.total).toBe(5);
      expect(final.ids).toEqual(new Set(during));
    } finally {
      await worker.stop();
      await proxied.db.destroy();
      await proxy.close();
    }
  });
});
