// `metro-admin sagas ...` against a real admin server on PostgreSQL, over sagas a saga runtime moved
// with real messages (in-memory bus, PostgreSQL tables): list, show, complete, delete; a viewer's
// refusals (exit 3) and hidden state; control characters from saga data escaped.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createMetro, defineCommand, defineEvent, InMemoryTransport, silentLogger, type Metro, type StandardSchemaV1 } from '@metro/core';
import { waitFor } from '@metro/test-support';
import { createSagaRuntime, defineSaga, migrateSagas, type SagaRuntime } from '@metro/saga';
import { tokenAuth, type AdminServer } from '@metro/admin-trpc';
import { CLI_BIN, countRows, createTestDb, runCli, serveAdmin, terminalControls as controls } from './support.js';

const TOKENS = { viewer: 'viewer-sagas-cli-token-0123456789', operator: 'operator-sagas-cli-token-0123456789' } as const;
// Saga data an attacker controls: clear-line, an OSC 52 clipboard write, a C1 CSI, a bidi override.
const HOSTILE = 'late\u001b[2K\u001b]52;c;cm0gLXJmIH4=\u0007\u009b2J\u202egnp.exe';

/** A Standard Schema that takes `{ id: string, note?: string }` as it is. */
function schemaOf<T>(): StandardSchemaV1<T> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: (value) =>
        typeof (value as { id?: unknown } | null)?.id === 'string' ? { value: value as T } : { issues: [{ message: 'id: expected a string' }] },
    },
  };
}

type Placed = { id: string; note?: string };
const OrderPlaced = defineEvent({ topic: 'cli_sagas', type: 'placed', schema: schemaOf<Placed>() });
const OrderPaid = defineEvent({ topic: 'cli_sagas', type: 'paid', schema: schemaOf<{ id: string }>() });
const PaymentDue = defineCommand({ service: 'cli-sagas', type: 'payment-due', schema: schemaOf<{ id: string }>() });
const orderSaga = defineSaga({
  name: 'order',
  state: schemaOf<{ id: string; note: string; status: string }>(),
  currentState: (s) => s.status,
})
  .startedBy(OrderPlaced, { key: (m) => m.id }, async (m, state, ctx) => {
    await ctx.requestTimeout(PaymentDue, { id: m.id }, { delay: '1h' });
    return state ?? { id: m.id, note: m.note ?? 'placed', status: m.note === HOSTILE ? HOSTILE : 'awaiting-payment' };
  })
  .on(OrderPaid, { key: (m) => m.id }, (_m, state) => ({ ...state, status: 'paid' }))
  .onTimeout(PaymentDue, { key: (m) => m.id }, (_m, state) => state);

let env: Awaited<ReturnType<typeof createTestDb>>;
let served: Awaited<ReturnType<typeof serveAdmin>>;
let server: AdminServer;
let metro: Metro;
let sagas: SagaRuntime;

function run(role: keyof typeof TOKENS, args: string[]) {
  return runCli(args, { METRO_ADMIN_URL: server.url, METRO_ADMIN_TOKEN: TOKENS[role] });
}

const pendingSchedules = () => countRows(env.db, env.schema, 'scheduled_messages', sql`status = 'pending'`);

beforeAll(async () => {
  if (!existsSync(CLI_BIN)) execFileSync('pnpm', ['run', 'build'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
  env = await createTestDb('admin_cli_sagas');
  await migrateSagas(env.db, { schema: env.schema });
  metro = createMetro({ service: 'cli-sagas', transport: new InMemoryTransport({ name: 'cli-sagas' }), logger: silentLogger });
  sagas = createSagaRuntime({ metro, db: env.db, schema: env.schema, logger: silentLogger });
  sagas.register(orderSaga);
  await metro.start();
  for (const id of ['o-1', 'o-2', 'o-3', 'o-4']) await metro.publish(OrderPlaced, { id });
  await metro.publish(OrderPlaced, { id: 'o-evil', note: HOSTILE });
  await metro.publish(OrderPaid, { id: 'o-2' });
  await waitFor(async () => (await sagas.store.list({ saga: 'order', limit: 50 })).items.length === 5, 15_000, 'five sagas started');
  await waitFor(async () => (await sagas.store.get('order', 'o-2'))?.currentState === 'paid', 15_000, 'o-2 paid');
  served = await serveAdmin(env, {
    authorize: tokenAuth({ viewer: { token: TOKENS.viewer, roles: ['viewer'] }, operator: { token: TOKENS.operator, roles: ['operator'] } }),
  });
  server = served.server;
}, 60_000);

afterAll(async () => {
  await served?.close();
  await metro?.stop();
  await sagas?.close();
  await env?.drop();
});

describe('metro-admin sagas', () => {
  it('lists sagas as a table, by state and status, and as JSON page by page', async () => {
    const table = await run('operator', ['sagas', 'list', '--saga', 'order']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SAGA\s+KEY\s+STATE\s+STATUS\s+VERSION\s+TIMEOUTS\s+LAST MESSAGE\s+UPDATED$/);
    expect(lines.filter((l) => l.startsWith('order '))).toHaveLength(5);
    expect(table.stdout).toMatch(/^order\s+o-2\s+paid\s+active\s+2\s+1\s+cli_sagas\.paid\s/m);
    const waiting = await run('operator', ['sagas', 'list', '--state', 'awaiting-payment', '--json']);
    const page = JSON.parse(waiting.stdout) as { items: Array<{ key: string; version: number }> };
    expect(page.items.map((s) => s.key).sort()).toEqual(['o-1', 'o-3', 'o-4']);
    const first = JSON.parse((await run('operator', ['sagas', 'list', '--limit', '2', '--json'])).stdout) as { items: unknown[]; nextCursor: string };
    expect(first.items).toHaveLength(2);
    const second = JSON.parse((await run('operator', ['sagas', 'list', '--limit', '2', '--cursor', first.nextCursor, '--json'])).stdout) as {
      items: unknown[];
    };
    expect(second.items).toHaveLength(2);
    expect(JSON.parse((await run('operator', ['sagas', 'list', '--status', 'completed', '--json'])).stdout)).toEqual({ items: [], nextCursor: null });
  });

  it('shows one saga: state, version, its pending timeout and the messages that moved it; a viewer sees no state', async () => {
    const shown = await run('operator', ['sagas', 'show', 'order', 'o-2']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^current state\s+paid$/m);
    expect(shown.stdout).toMatch(/^version\s+2$/m);
    expect(shown.stdout).toMatch(/^cli-sagas:payment-due\s+\S+ \S+\s+[0-9a-f-]{36}$/m);
    expect(shown.stdout).toMatch(/^\s+1\s+\S+ \S+\s+cli_sagas\.placed\s+\S+$/m);
    expect(shown.stdout).toMatch(/^\s+2\s+\S+ \S+\s+cli_sagas\.paid\s+\S+$/m);
    expect(shown.stdout).toContain('"status": "paid"');
    const json = JSON.parse((await run('operator', ['sagas', 'show', 'order', 'o-2', '--json'])).stdout) as { history: unknown[]; state: unknown };
    expect(json.history).toHaveLength(2);
    expect(json.state).toEqual({ id: 'o-2', note: 'placed', status: 'paid' });
    const hidden = await run('viewer', ['sagas', 'show', 'order', 'o-2']);
    expect(hidden.code).toBe(0);
    expect(hidden.stdout).toContain('state: (hidden: your role may not read payloads)');
    expect(hidden.stdout).not.toContain('"status": "paid"');
    const missing = await run('operator', ['sagas', 'show', 'order', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('metro-admin: no saga order with key nope\n');
  });

  it('refuses a viewer complete and delete with "forbidden for role viewer" and exit 3; usage mistakes exit 2', async () => {
    for (const sub of ['complete', 'delete']) {
      const r = await run('viewer', ['sagas', sub, 'order', 'o-3']);
      expect(r.code, sub).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`^metro-admin: forbidden for role viewer: sagas\\.${sub} needs the operator role`));
    }
    expect((await sagas.store.get('order', 'o-3'))?.status).toBe('active');
    for (const args of [
      ['sagas', 'show', 'order'],
      ['sagas', 'list', '--status', 'stuck'],
      ['sagas', 'complete', 'order', 'o-3', '--keep-days', '-1'],
      ['sagas', 'explode'],
    ]) {
      const r = await run('operator', args);
      expect(r.code, args.join(' ')).toBe(2);
    }
  });

  it('lets an operator complete (kept N days) and delete a stuck saga, cancelling its pending timeout', async () => {
    const pending = await pendingSchedules();
    const done = await run('operator', ['sagas', 'complete', 'order', 'o-3', '--keep-days', '2']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toBe('completed order o-3\n');
    const completed = await sagas.store.get('order', 'o-3');
    expect(completed?.status).toBe('completed');
    // kept two days (what the store says, give or take a minute of a loaded machine)
    expect(Math.abs(completed!.expiresAt!.getTime() - Date.now() - 2 * 86_400_000)).toBeLessThan(60_000);
    expect((await run('operator', ['sagas', 'complete', 'order', 'o-3'])).stdout).toBe('order o-3 is not active (nothing completed)\n');
    const deleted = await run('operator', ['sagas', 'delete', 'order', 'o-4', '--json']);
    expect(JSON.parse(deleted.stdout)).toEqual({ deleted: true });
    expect(await sagas.store.get('order', 'o-4')).toBeUndefined();
    expect((await run('operator', ['sagas', 'delete', 'order', 'o-4'])).stdout).toBe('no saga order o-4 (nothing deleted)\n');
    // Both sagas' pending timeouts were cancelled at the scheduler.
    await expect.poll(() => pendingSchedules(), { timeout: 10_000 }).toBe(pending - 2);
    expect(JSON.parse((await run('operator', ['sagas', 'list', '--status', 'completed', '--json'])).stdout).items).toHaveLength(1);
  });

  it('escapes control characters from saga data in the table, the detail and JSON', async () => {
    const outputs = [
      await run('operator', ['sagas', 'list']),
      await run('operator', ['sagas', 'show', 'order', 'o-evil']),
      await run('operator', ['sagas', 'list', '--json']),
      await run('operator', ['sagas', 'show', 'order', 'o-evil', '--json']),
    ];
    for (const o of outputs) {
      expect(o.code, o.stderr).toBe(0);
      expect(controls(o.stdout + o.stderr)).toEqual([]);
    }
    expect(outputs[1]!.stdout).toContain('late\\x1b[2K\\x1b]52;c;cm0gLXJmIH4=\\x07\\x9b2J\\u202egnp.exe');
    const detail = JSON.parse(outputs[3]!.stdout) as { currentState: string; state: { note: string } };
    expect(detail.currentState).toBe(HOSTILE);
    expect(detail.state.note).toBe(HOSTILE);
  });
});
