import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { z } from 'zod';
import { InMemoryTransport, defineEvent, type StandardSchemaV1 } from '@metro/core';
import { createScheduler } from '@metro/scheduler';
import { createAdminRouter, tokenAuth, type AdminRouter, type FailureSummary } from '../src/index.js';
import {
  countRows,
  createTestDb,
  newDeferred,
  newFailure,
  pgDeferredStore,
  pgFailureStore,
  recordMany,
  waitFor,
  serveAdmin,
  type AdminClient,
} from './support.js';

const TOKEN = 'router-test-token-0123456789';
const anySchema: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const Reminder = defineEvent({ topic: 'orders', type: 'reminder', schema: anySchema });
const Placed = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ orderId: z.string() }) });

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let served: Awaited<ReturnType<typeof serveAdmin>> | undefined;
let client: AdminClient;
let transport: InMemoryTransport;
const logs: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  env = await createTestDb('admin_router');
  transport = new InMemoryTransport();
  await transport.declareQueue({ queue: 'billing' });
  const logger = {
    debug() {},
    info(obj: Record<string, unknown>) {
      logs.push(obj);
    },
    warn() {},
    error() {},
  };
  admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: tokenAuth({ alice: { token: TOKEN, roles: ['admin'] } }),
    transport,
    queues: ['billing', 'missing-queue'],
    messages: [Placed],
    logger,
    failurePollMs: 100,
    statsIntervalMs: 200,
  });
  served = await serveAdmin(admin, TOKEN);
  client = served.client;
});

afterAll(async () => {
  await served?.close();
  await transport?.close();
  await env?.drop();
});

describe('failed', () => {
  let ids: string[] = [];

  beforeAll(async () => {
    const failures = [
      ...Array.from({ length: 30 }, (_, i) => newFailure({ type: 'placed', data: { orderId: `p${i}` } })),
      ...Array.from({ length: 10 }, () =>
        newFailure({ type: 'shipped', topic: 'shipping', service: 'mailer', error: { name: 'TimeoutError', code: 'ETIMEDOUT', message: 'smtp timeout' } }),
      ),
      newFailure({
        type: 'cancelled',
        reason: 'validation',
        error: { name: 'ValidationError', code: 'VALIDATION_FAILED', message: "orderId: expected string; DROP TABLE x; --'" },
      }),
    ];
    ids = [];
    for (const f of failures) ids.push(...(await recordMany(env.db, env.schema, [f], 1)));
  });

  it('lists newest first with cursor paging', async () => {
    const seen: FailureSummary[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.failed.list.query({ limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toHaveLength(41);
    expect(pages).toBe(6);
    expect(new Set(seen.map((s) => s.id)).size).toBe(41);
    for (let i = 1; i < seen.length; i++) expect(Date.parse(seen[i - 1]!.lastFailedAt)).toBeGreaterThanOrEqual(Date.parse(seen[i]!.lastFailedAt));
    expect(seen[0]!.id).toBe(ids[ids.length - 1]);
  });

  it('filters by type, topic, service, text, reason, error class, status and time range', async () => {
    expect((await client.failed.list.query({ filter: { type: 'shipped' }, limit: 100 })).items).toHaveLength(10);
    expect((await client.failed.list.query({ filter: { topic: 'shipping' }, limit: 100 })).items).toHaveLength(10);
    expect((await client.failed.list.query({ filter: { service: 'mailer' }, limit: 100 })).items).toHaveLength(10);
    expect((await client.failed.list.query({ filter: { text: 'SMTP' }, limit: 100 })).items).toHaveLength(10);
    expect((await client.failed.list.query({ filter: { reason: 'validation' }, limit: 100 })).items).toHaveLength(1);
    expect((await client.failed.list.query({ filter: { errorName: 'TimeoutError' }, limit: 100 })).items).toHaveLength(10);
    expect((await client.failed.list.query({ filter: { errorName: 'Timeout' }, limit: 100 })).items).toHaveLength(0);
    expect((await client.failed.list.query({ filter: { status: 'resolved' }, limit: 100 })).items).toHaveLength(0);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await client.failed.list.query({ filter: { from: future }, limit: 100 })).items).toHaveLength(0);
    expect((await client.failed.list.query({ filter: { to: future }, limit: 100 })).items).toHaveLength(41);
  });

  it('gets one in full and 404s an unknown id', async () => {
    const detail = await client.failed.get.query({ id: ids[0]! });
    expect(detail.payload).toEqual({ orderId: 'p0' });
    expect(detail.error.stack).toContain('at charge');
    expect(detail.bodyEncoding).toBe('utf8');
    expect(JSON.parse(detail.body).data).toEqual({ orderId: 'p0' });
    await expect(client.failed.get.query({ id: 'nope' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('retries one through the outbox, once even when asked twice, and logs who did it', async () => {
    const before = await countRows(env.db, env.schema, 'outbox');
    const [a, b] = await Promise.all([client.failed.retry.mutate({ id: ids[1]! }), client.failed.retry.mutate({ id: ids[1]! })]);
    expect([a.retried, b.retried].sort()).toEqual([false, true]);
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(before + 1);
    expect((await client.failed.get.query({ id: ids[1]! })).status).toBe('retried');
    expect(logs.some((l) => l['principal'] === 'alice' && l['procedure'] === 'failed.retry')).toBe(true);
  });

  it('edits the payload and retries; the outbox row carries the new payload', async () => {
    const result = await client.failed.editAndRetry.mutate({ id: ids[2]!, payload: { orderId: 'fixed' } });
    expect(result.retried).toBe(true);
    const rows = await sql<{ body: Buffer }>`select body from ${sql.id(env.schema, 'outbox')} order by seq desc limit 1`.execute(env.db);
    expect(JSON.parse(Buffer.from(rows.rows[0]!.body).toString('utf8')).data).toEqual({ orderId: 'fixed' });
  });

  it('retries many by ids and by filter with counts', async () => {
    const byIds = await client.failed.retryMany.mutate({ ids: [ids[3]!, ids[4]!, ids[1]!] });
    expect(byIds).toEqual({ retried: 2, skipped: 1, more: false });
    const byFilter = await client.failed.retryMany.mutate({ filter: { type: 'shipped' } });
    expect(byFilter).toEqual({ retried: 10, skipped: 0, more: false });
    const again = await client.failed.retryMany.mutate({ filter: { type: 'shipped' } });
    expect(again.retried).toBe(0);
  });

  it('deletes one and many', async () => {
    expect(await client.failed.delete.mutate({ id: ids[5]! })).toEqual({ deleted: true });
    expect(await client.failed.delete.mutate({ id: ids[5]! })).toEqual({ deleted: false });
    expect(await client.failed.deleteMany.mutate({ ids: [ids[6]!, ids[7]!] })).toEqual({ deleted: 2, more: false });
    expect(await client.failed.deleteMany.mutate({ filter: { reason: 'validation' } })).toEqual({ deleted: 1, more: false });
    expect((await client.failed.list.query({ filter: { status: 'deleted' }, limit: 100 })).items).toHaveLength(4);
  });

  it('counts by status, type, error and over time', async () => {
    const stats = await client.failed.stats.query({ bucket: 'minute' });
    // retried: one, one edited, two by ids, ten by filter; deleted: four
    expect(stats.byStatus).toEqual({ failed: 41 - 4 - 14, retried: 14, resolved: 0, deleted: 4 });
    expect(stats.byType.find((t) => t.type === 'placed')?.count).toBe(30 - 3);
    expect(stats.byError.find((e) => e.error === 'ETIMEDOUT')?.count).toBe(10);
    expect(stats.overTime.reduce((n, b) => n + b.count, 0)).toBe(37);
  });

  it('stats honour the error-class filter, as the listing does', async () => {
    const filter = { errorName: 'TimeoutError' };
    const listed = (await client.failed.list.query({ filter, limit: 100 })).items.length;
    const stats = await client.failed.stats.query({ filter, bucket: 'minute' });
    expect(listed).toBe(10);
    expect(stats.byType).toEqual([{ type: 'shipped', count: 10 }]);
    expect(stats.byError).toEqual([{ error: 'ETIMEDOUT', count: 10 }]);
    expect(stats.overTime.reduce((n, b) => n + b.count, 0)).toBe(listed);
    expect(stats.byStatus).toEqual({ failed: 0, retried: 10, resolved: 0, deleted: 0 });
  });
});

describe('deferred', () => {
  it('lists, gets, completes and resumes through the outbox', async () => {
    const store = pgDeferredStore(env.db, { schema: env.schema });
    const a = await store.defer(newDeferred());
    const b = await store.defer(newDeferred({ type: 'other', service: 'mailer' }));
    const page = await client.deferred.list.query({});
    expect(page.items.map((d) => d.seq)).toEqual([a.seq, b.seq]);
    expect((await client.deferred.list.query({ type: 'other' })).items).toHaveLength(1);
    expect((await client.deferred.get.query({ seq: Number(a.seq) })).reason).toBe('waiting for stock');
    expect(await client.deferred.complete.mutate({ seq: Number(a.seq) })).toEqual({ completed: true });
    expect(await client.deferred.complete.mutate({ seq: Number(a.seq) })).toEqual({ completed: false });
    const before = await countRows(env.db, env.schema, 'outbox');
    expect(await client.deferred.resume.mutate({ seq: Number(b.seq) })).toEqual({ resumed: true });
    expect(await client.deferred.resume.mutate({ seq: Number(b.seq) })).toEqual({ resumed: false });
    const rows = await sql<{
      destination: unknown;
      headers: Record<string, unknown>;
    }>`select destination, headers from ${sql.id(env.schema, 'outbox')} order by seq desc limit 1`.execute(env.db);
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(before + 1);
    expect(rows.rows[0]!.destination).toEqual({ kind: 'queue', queue: 'billing' });
    expect(rows.rows[0]!.headers['metro-deferred-seq']).toBe(Number(b.seq));
    expect((await client.deferred.list.query({})).items).toHaveLength(0);
  });
});

describe('scheduled', () => {
  it('lists, cancels by id and by tags, reschedules', async () => {
    const scheduler = createScheduler({ db: env.db, schema: env.schema, source: 'test' });
    const at = new Date(Date.now() + 3_600_000);
    const one = await scheduler.schedule(undefined, Reminder, { n: 1 }, { at, tags: { orderId: 'o1' } });
    await scheduler.schedule(undefined, Reminder, { n: 2 }, { at, tags: { orderId: 'o2', kind: 'sms' } });
    await scheduler.schedule(undefined, Reminder, { n: 3 }, { at, tags: { orderId: 'o3', kind: 'sms' } });
    const listed = await client.scheduled.list.query({ status: 'pending' });
    expect(listed.items).toHaveLength(3);
    expect(listed.items[0]!.payload).toEqual({ n: 1 });
    expect((await client.scheduled.list.query({ tags: { kind: 'sms' } })).items).toHaveLength(2);
    const later = new Date(Date.now() + 7_200_000).toISOString();
    expect(await client.scheduled.reschedule.mutate({ id: one, at: later })).toEqual({ rescheduled: true });
    expect((await client.scheduled.list.query({ type: 'reminder' })).items.find((s) => s.id === one)?.dueAt).toBe(later);
    expect(await client.scheduled.cancel.mutate({ id: one })).toEqual({ cancelled: true });
    expect(await client.scheduled.cancelByTags.mutate({ type: 'reminder', tags: { kind: 'sms' } })).toEqual({ cancelled: 2 });
    expect((await client.scheduled.list.query({ status: 'pending' })).items).toHaveLength(0);
    expect((await client.scheduled.list.query({ status: 'cancelled' })).items).toHaveLength(3);
  });
});

describe('outbox and queues', () => {
  it('reports outbox stats and keeps a history', async () => {
    const pending = await countRows(env.db, env.schema, 'outbox', sql`status = 'pending'`);
    const stats = await client.outbox.stats.query();
    expect(stats.pending).toBe(pending);
    expect(pending).toBeGreaterThan(0);
    expect(stats.oldestPendingAgeMs).toBeGreaterThanOrEqual(0);
    expect((await client.outbox.history.query()).length).toBeGreaterThanOrEqual(1);
  });

  it('reports depth, consumers and a rate from successive samples', async () => {
    const first = await client.queues.list.query();
    expect(first.find((q) => q.queue === 'billing')).toMatchObject({ exists: true, depth: 0, consumers: 0, depthRatePerSec: null });
    expect(first.find((q) => q.queue === 'missing-queue')).toMatchObject({ exists: false });
    for (let i = 0; i < 5; i++) {
      await transport.publish({
        destination: { kind: 'queue', queue: 'billing' },
        body: new Uint8Array([1]),
        messageId: `q${i}`,
        contentType: 'application/octet-stream',
        headers: {},
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    const second = await client.queues.list.query();
    const billing = second.find((q) => q.queue === 'billing')!;
    expect(billing.depth).toBe(5);
    expect(billing.depthRatePerSec).toBeGreaterThan(0);
    expect((await client.queues.history.query({ queue: 'billing' })).length).toBe(2);
  });
});

describe('live subscriptions', () => {
  it('pushes each new failure and periodic stats over the WebSocket', async () => {
    const received: FailureSummary[] = [];
    const stats: number[] = [];
    const started = new Promise<void>((resolve) => {
      const sub = client.live.onFailure.subscribe(undefined, {
        onStarted: () => resolve(),
        onData: (f) => received.push(f),
        onError: (e) => console.error('onFailure error', e),
      });
      subs.push(sub);
    });
    subs.push(client.live.onStats.subscribe(undefined, { onData: (s) => stats.push(s.failures.failed) }));
    await started;
    await new Promise((r) => setTimeout(r, 300));
    const store = pgFailureStore(env.db, { schema: env.schema });
    const fresh = await store.record(newFailure({ type: 'live-one' }));
    const fresh2 = await store.record(newFailure({ type: 'live-two' }));
    // Failures recorded about when the subscription started (1 s grace) may arrive too; these two must, in order, once.
    const mine = () => received.filter((r) => r.type === 'live-one' || r.type === 'live-two');
    await waitFor(() => mine().length >= 2, 10_000, 'two live failures');
    await new Promise((r) => setTimeout(r, 300));
    expect(mine().map((r) => r.id)).toEqual([fresh.id, fresh2.id]);
    await waitFor(() => stats.length >= 2, 10_000, 'two stats pushes');
    expect(stats[stats.length - 1]).toBeGreaterThan(0);
    for (const s of subs) s.unsubscribe();
  });
});

const subs: Array<{ unsubscribe(): void }> = [];
