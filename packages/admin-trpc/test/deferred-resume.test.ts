import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createAdminRouter, tokenAuth, type AdminRouter } from '../src/index.js';
import { countRows, createTestDb, newDeferred, pgDeferredStore } from './support.js';

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;

beforeAll(async () => {
  env = await createTestDb('admin_resume');
  admin = createAdminRouter({ db: env.db, schema: env.schema, authorize: tokenAuth({ ops: { token: 'resume-token-0123456789', roles: ['operator'] } }) });
});

afterAll(async () => {
  await admin?.close();
  await env?.drop();
});

const outboxHeaders = async () =>
  (await sql<{ headers: Record<string, unknown> }>`select headers from ${sql.id(env.schema, 'outbox')} order by seq`.execute(env.db)).rows.map(
    (r) => r.headers,
  );

describe('deferred.resume without a bus', () => {
  it('keeps the message deferred when its outbox row cannot be written, with no restore to rely on', async () => {
    const store = pgDeferredStore(env.db, { schema: env.schema });
    const caller = admin.createCaller({ id: 'operator', roles: ['operator'] });
    const record = await store.defer(newDeferred());
    const before = await countRows(env.db, env.schema, 'outbox');

    // The outbox insert fails, and putting a taken row back fails too: what a crash after a
    // separate take would leave. Only a delete that rolls back with the insert keeps the message.
    await sql`alter table ${sql.id(env.schema, 'outbox')} rename to outbox_away`.execute(env.db);
    await sql`create function ${sql.id(env.schema, 'no_restore')}() returns trigger language plpgsql as $$ begin raise exception 'simulated crash: no restore'; end $$`.execute(
      env.db,
    );
    await sql`create trigger no_restore before insert on ${sql.id(env.schema, 'deferred_messages')} for each row execute function ${sql.id(env.schema, 'no_restore')}()`.execute(
      env.db,
    );
    try {
      await expect(caller.deferred.resume({ seq: record.seq })).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    } finally {
      await sql`drop trigger no_restore on ${sql.id(env.schema, 'deferred_messages')}`.execute(env.db);
      await sql`alter table ${sql.id(env.schema, 'outbox_away')} rename to outbox`.execute(env.db);
    }
    expect(await store.get(record.seq)).toEqual(record);
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(before);

    const twice = await Promise.all([caller.deferred.resume({ seq: record.seq }), caller.deferred.resume({ seq: record.seq })]);
    expect(twice.map((r) => r.resumed).sort()).toEqual([false, true]);
    expect(await store.get(record.seq)).toBeUndefined();
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(before + 1);
    expect((await outboxHeaders()).at(-1)).toMatchObject({ 'metro-deferred-seq': record.seq, 'metro-handler': 'charge' });
    expect(await caller.deferred.resume({ seq: 987_654 })).toEqual({ resumed: false });
  });
});
