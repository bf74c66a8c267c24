import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { createAdminRouter, createAdminServer, type AdminRouter, type AdminServer, type AuditEntry } from '../src/index.js';
import { countRows, createAdminClient, createTestDb, newFailure, recordMany, roleAuth, ROLE_TOKENS, waitFor } from './support.js';

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let server: AdminServer;
const logged: Array<{ level: string; fields: Record<string, unknown> }> = [];
const logger = {
  debug() {},
  info: (fields: Record<string, unknown>) => void logged.push({ level: 'info', fields }),
  warn: (fields: Record<string, unknown>) => void logged.push({ level: 'warn', fields }),
  error: (fields: Record<string, unknown>) => void logged.push({ level: 'error', fields }),
};

interface AuditRow {
  kind: string;
  principal: string | null;
  roles: string[];
  client_address: string | null;
  transport: string;
  procedure: string | null;
  input: unknown;
  result_count: string | null;
  outcome: string;
}

async function rows(where = sql`true`): Promise<AuditRow[]> {
  return (await sql<AuditRow>`select * from ${sql.id(env.schema, 'admin_audit')} where ${where} order by id`.execute(env.db)).rows;
}

beforeAll(async () => {
  env = await createTestDb('admin_audit');
  admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: roleAuth(),
    logger,
    allowUnvalidatedEdits: true,
    audit: { payloadReads: true, retentionDays: 1 },
  });
  server = await createAdminServer({ router: admin, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await admin?.close();
  await env?.drop();
});

describe.each(['http', 'ws'] as const)('the audit trail over %s', (transport) => {
  it('records every mutation with principal, role, address, transport, every id, result count and outcome', async () => {
    const type = `audited-${transport}`;
    const ids = await recordMany(
      env.db,
      env.schema,
      Array.from({ length: 25 }, () => newFailure({ type })),
    );
    const operator = createAdminClient({ url: server.url, token: ROLE_TOKENS.operator, allOverWebSocket: transport === 'ws' });
    const from = await countRows(env.db, env.schema, 'admin_audit');
    await operator.failed.retryMany.mutate({ ids });
    await operator.failed.deleteMany.mutate({ filter: { type } });
    await operator.failed.restore.mutate({ id: ids[0]! });
    await operator.failed.editAndRetry.mutate({ id: ids[0]!, payload: { card: '4111-1111' } });
    await expect(operator.failed.restore.mutate({ id: 'missing-id' })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    await operator.close();
    const trail = (await rows()).slice(from);
    expect(trail.map((r) => [r.procedure, r.outcome, r.result_count === null ? null : Number(r.result_count)])).toEqual([
      ['failed.retryMany', 'ok', 25],
      ['failed.deleteMany', 'ok', 25],
      ['failed.restore', 'ok', 1],
      ['failed.editAndRetry', 'ok', 1],
      ['failed.restore', 'error', null],
    ]);
    for (const row of trail) {
      expect(row).toMatchObject({ kind: 'mutation', principal: 'operator', roles: ['operator'], transport });
      expect(row.client_address).toMatch(/127\.0\.0\.1/);
    }
    // Every id, not "[25 items]"; the filter as given; never an edited payload.
    expect(trail[0]!.input).toEqual({ ids });
    expect(trail[1]!.input).toEqual({ filter: { type } });
    expect(trail[3]!.input).toEqual({ id: ids[0], payload: '[edited payload]' });
    expect(JSON.stringify(trail)).not.toContain('4111');
  });

  it('records refused sign-ins (with the client address) and a viewer’s refused mutation', async () => {
    const from = await countRows(env.db, env.schema, 'admin_audit');
    if (transport === 'http') {
      expect((await fetch(`${server.url}/trpc/failed.list`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    } else {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/trpc?connectionParams=1`);
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ method: 'connectionParams', data: { token: 'wrong-token-0123456789' } }));
      await new Promise((r) => ws.once('close', r));
    }
    const viewer = createAdminClient({ url: server.url, token: ROLE_TOKENS.viewer, allOverWebSocket: transport === 'ws' });
    await expect(viewer.failed.deleteMany.mutate({ filter: {} })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await viewer.close();
    await waitFor(async () => (await countRows(env.db, env.schema, 'admin_audit')) >= from + 2, 5_000, 'two audit rows');
    const trail = (await rows()).slice(from);
    expect(trail[0]).toMatchObject({
      kind: 'sign-in',
      principal: null,
      outcome: 'refused',
      transport,
      procedure: transport === 'http' ? 'failed.list' : 'connect',
    });
    expect(trail[0]!.client_address).toMatch(/127\.0\.0\.1/);
    expect(trail[1]).toMatchObject({
      kind: 'mutation',
      principal: 'viewer',
      roles: ['viewer'],
      procedure: 'failed.deleteMany',
      outcome: 'forbidden',
      input: { filter: {} },
    });
    expect(logged.some((l) => l.fields['procedure'] === (transport === 'http' ? 'failed.list' : 'connect') && l.fields['clientAddress'] !== undefined)).toBe(
      true,
    );
  });

  it('is readable by the admin role only, and records payload reads', async () => {
    const [id] = await recordMany(env.db, env.schema, [newFailure({ type: `read-${transport}` })]);
    const clients = Object.fromEntries(
      (['viewer', 'operator', 'admin'] as const).map((role) => [
        role,
        createAdminClient({ url: server.url, token: ROLE_TOKENS[role], allOverWebSocket: transport === 'ws' }),
      ]),
    );
    await clients['viewer']!.failed.get.query({ id: id! }); // payload hidden: not a payload read
    await clients['operator']!.failed.get.query({ id: id! });
    await expect(clients['viewer']!.audit.list.query()).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(clients['operator']!.audit.list.query()).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    const reads = await clients['admin']!.audit.list.query({ kind: 'payload-read', procedure: 'failed.get' });
    const mine = reads.items.filter((e: AuditEntry) => JSON.stringify(e.input) === JSON.stringify({ ids: [id] }));
    expect(mine.map((e) => e.principal)).toEqual(['operator']);
    const page = await clients['admin']!.audit.list.query({ limit: 2 });
    expect(page.items).toHaveLength(2);
    const next = await clients['admin']!.audit.list.query({ limit: 2, cursor: page.nextCursor! });
    expect(Number(next.items[0]!.id)).toBeLessThan(Number(page.items[1]!.id));
    await Promise.all(Object.values(clients).map((c) => c.close()));
  });
});

describe('retention', () => {
  it('prunes entries older than retentionDays and keeps the rest', async () => {
    await sql`insert into ${sql.id(env.schema, 'admin_audit')} (at, kind, transport, outcome) values (now() - interval '2 days', 'sign-in', 'http', 'refused')`.execute(
      env.db,
    );
    const total = await countRows(env.db, env.schema, 'admin_audit');
    expect(await admin.audit.prune()).toBe(1);
    expect(await countRows(env.db, env.schema, 'admin_audit')).toBe(total - 1);
    expect(await countRows(env.db, env.schema, 'admin_audit', sql`at < now() - interval '1 day'`)).toBe(0);
  });
});
