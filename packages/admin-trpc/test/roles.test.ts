import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { defineEvent, type StandardSchemaV1 } from '@metro/core';
import { createScheduler } from '@metro/scheduler';
import { createAdminRouter, createAdminServer, type AdminRouter, type AdminServer } from '../src/index.js';
import { countRows, createAdminClient, createTestDb, newFailure, recordMany, roleAuth, ROLE_TOKENS, type AdminClient } from './support.js';

const anySchema: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
const Reminder = defineEvent({ topic: 'orders', type: 'reminder', schema: anySchema });
let scheduler: ReturnType<typeof createScheduler>;
let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let server: AdminServer;
let ids: string[];

/** Every status and the outbox, to show a refused call changed nothing. */
async function state(): Promise<string> {
  const rows = await sql<{ id: string; status: string }>`select id, status from ${sql.id(env.schema, 'failed_messages')} order by id`.execute(env.db);
  return JSON.stringify([
    rows.rows,
    await countRows(env.db, env.schema, 'outbox'),
    await countRows(env.db, env.schema, 'scheduled_messages', sql`status = 'pending'`),
  ]);
}

beforeAll(async () => {
  env = await createTestDb('admin_roles');
  ids = await recordMany(
    env.db,
    env.schema,
    Array.from({ length: 6 }, (_, i) => newFailure({ data: { orderId: `secret-${i}` } })),
  );
  scheduler = createScheduler({ db: env.db, schema: env.schema, source: 'test' });
  admin = createAdminRouter({ db: env.db, schema: env.schema, authorize: roleAuth(), allowUnvalidatedEdits: true });
  server = await createAdminServer({ router: admin, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await admin?.close();
  await env?.drop();
});

describe.each(['http', 'ws'] as const)('roles over %s', (transport) => {
  const client = (role: keyof typeof ROLE_TOKENS): AdminClient =>
    createAdminClient({ url: server.url, token: ROLE_TOKENS[role], allOverWebSocket: transport === 'ws' });

  it('a viewer lists and reads without payloads, and every mutation is refused with 403: 0 records change', async () => {
    const viewer = client('viewer');
    const scheduledId = await scheduler.schedule(undefined, Reminder, { orderId: 'r' }, { at: new Date(Date.now() + 3_600_000), tags: { a: 1 } });
    const before = await state();
    expect((await viewer.failed.list.query()).items.length).toBeGreaterThanOrEqual(6);
    const detail = await viewer.failed.get.query({ id: ids[0]! });
    expect(detail).toMatchObject({ payloadHidden: true, payload: null, envelope: null, body: '' });
    expect(JSON.stringify(detail)).not.toContain('secret-0');
    expect(await viewer.session.whoami.query()).toMatchObject({ principal: 'viewer', role: 'viewer', permissions: ['read'] });
    const attempts: Array<() => Promise<unknown>> = [
      () => viewer.failed.retry.mutate({ id: ids[0]! }),
      () => viewer.failed.retryMany.mutate({ filter: {} }),
      () => viewer.failed.retryMany.mutate({ ids }),
      () => viewer.failed.editAndRetry.mutate({ id: ids[0]!, payload: { orderId: 'x' } }),
      () => viewer.failed.delete.mutate({ id: ids[0]! }),
      () => viewer.failed.deleteMany.mutate({ filter: {} }),
      () => viewer.failed.restore.mutate({ id: ids[0]! }),
      () => viewer.failed.restoreMany.mutate({ filter: {} }),
      () => viewer.deferred.resume.mutate({ seq: 1 }),
      () => viewer.deferred.complete.mutate({ seq: 1 }),
      () => viewer.scheduled.cancel.mutate({ id: scheduledId }),
      () => viewer.scheduled.cancelByTags.mutate({ type: 'reminder', tags: { a: 1 } }),
      () => viewer.scheduled.reschedule.mutate({ id: scheduledId, at: new Date().toISOString() }),
    ];
    // One at a time: the WebSocket link batches concurrent calls, and a batch over 10 is refused whole.
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (const attempt of attempts) outcomes.push(...(await Promise.allSettled([attempt()])));
    expect(outcomes.map((o) => o.status)).toEqual(attempts.map(() => 'rejected'));
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toMatchObject({ data: { code: 'FORBIDDEN', metroCode: 'ADMIN_FORBIDDEN' } });
      expect(((outcome as PromiseRejectedResult).reason as Error).message).toMatch(/^Forbidden for role viewer: \S+ needs the operator role/);
    }
    expect(await state()).toBe(before);
    await expect(viewer.audit.list.query()).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await viewer.close();
    await scheduler.cancelById(scheduledId);
  });

  it('an operator reads payloads, deletes and restores, retries; the audit trail is the admin role’s only', async () => {
    const operator = client('operator');
    const id = transport === 'http' ? ids[1]! : ids[2]!;
    expect((await operator.failed.get.query({ id })).payload).toEqual({ orderId: transport === 'http' ? 'secret-1' : 'secret-2' });
    expect(await operator.failed.delete.mutate({ id })).toEqual({ deleted: true });
    expect((await operator.failed.get.query({ id })).status).toBe('deleted');
    expect(await operator.failed.restore.mutate({ id })).toEqual({ restored: true });
    expect(await operator.failed.restore.mutate({ id })).toEqual({ restored: false });
    await expect(operator.failed.restore.mutate({ id: 'no-such-failure' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    expect((await operator.failed.get.query({ id })).status).toBe('failed');
    expect(await operator.failed.retry.mutate({ id })).toEqual({ retried: true, status: 'retried' });
    await expect(operator.audit.list.query()).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await operator.close();
    const adminClient = client('admin');
    const audit = await adminClient.audit.list.query({ principal: 'operator', procedure: 'failed.retry' });
    expect(audit.items.some((e) => (e.input as { id?: string } | null)?.id === id && e.outcome === 'ok' && e.transport === transport)).toBe(true);
    await adminClient.close();
  });

  it('restores soft-deleted failures in bulk, by ids and by filter', async () => {
    const operator = client('operator');
    const fresh = await recordMany(env.db, env.schema, [newFailure({ type: `bulk-restore-${transport}` }), newFailure({ type: `bulk-restore-${transport}` })]);
    expect(await operator.failed.deleteMany.mutate({ filter: { type: `bulk-restore-${transport}` } })).toEqual({ deleted: 2, more: false });
    expect(await operator.failed.restoreMany.mutate({ ids: [fresh[0]!] })).toEqual({ restored: 1, more: false });
    expect(await operator.failed.restoreMany.mutate({ filter: { type: `bulk-restore-${transport}` } })).toEqual({ restored: 1, more: false });
    expect(await countRows(env.db, env.schema, 'failed_messages', sql`type = ${`bulk-restore-${transport}`} and status = 'failed'`)).toBe(2);
    await operator.close();
  });
});
