import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { defineEvent, type StandardSchemaV1 } from '@metro/core';
import { createScheduler } from '@metro/scheduler';
import { tokenAuth, type AdminServer } from '@metro/admin-trpc';
import { CLI_BIN as BIN, countRows, createTestDb, newDeferred, newFailure, pgDeferredStore, recordMany, runCli, serveAdmin } from './support.js';

const TOKEN = 'cli-token-0123456789abc';
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let env: Awaited<ReturnType<typeof createTestDb>>;
let served: Awaited<ReturnType<typeof serveAdmin>>;
let server: AdminServer;
let ids: string[];

function run(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(args, { METRO_ADMIN_URL: server.url, METRO_ADMIN_TOKEN: TOKEN, ...extraEnv });
}

const anySchema: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } };
/** The trace the first failure was recorded in: `failed show` prints it. */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const Reminder = defineEvent({ topic: 'orders', type: 'reminder', schema: anySchema });
// The definition the server validates edits of `shipped` failures with (`--payload`).
const shippedSchema: StandardSchemaV1<{ orderId: string }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) =>
      typeof (value as { orderId?: unknown } | null)?.orderId === 'string'
        ? { value: value as { orderId: string } }
        : { issues: [{ message: 'orderId: expected a string' }] },
  },
};
const Shipped = defineEvent({ topic: 'orders', type: 'shipped', schema: shippedSchema });

beforeAll(async () => {
  if (!existsSync(BIN)) execFileSync('pnpm', ['run', 'build'], { cwd: packageDir, stdio: 'inherit' });
  env = await createTestDb('admin_cli');
  ids = await recordMany(env.db, env.schema, [
    ...Array.from({ length: 12 }, (_, i) => newFailure({ type: 'placed', data: { i }, ...(i === 0 ? { traceId: TRACE_ID } : {}) })),
    ...Array.from({ length: 3 }, () => newFailure({ type: 'shipped', error: { name: 'TimeoutError', message: 'smtp timeout' } })),
  ]);
  served = await serveAdmin(env, { authorize: tokenAuth({ operator: { token: TOKEN, roles: ['operator'] } }), messages: [Shipped] });
  server = served.server;
}, 60_000);

afterAll(async () => {
  await served?.close();
  await env?.drop();
});

describe('metro-admin', () => {
  it('lists failed messages as a table and as JSON', async () => {
    const table = await run(['failed', 'list', '--type', 'shipped']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+TYPE/);
    expect(lines.filter((l) => l.includes('smtp timeout'))).toHaveLength(3);
    // By the recorded error's class, exactly.
    expect((JSON.parse((await run(['failed', 'list', '--error-name', 'TimeoutError', '--json'])).stdout) as { items: unknown[] }).items).toHaveLength(3);
    expect((JSON.parse((await run(['failed', 'list', '--error-name', 'Timeout', '--json'])).stdout) as { items: unknown[] }).items).toHaveLength(0);
    const json = await run(['failed', 'list', '--json', '--limit', '5']);
    const page = JSON.parse(json.stdout) as { items: Array<{ id: string }>; nextCursor: string | null };
    expect(page.items).toHaveLength(5);
    expect(page.nextCursor).not.toBeNull();
  });

  it('shows one failure with its payload and stack', async () => {
    const shown = await run(['failed', 'show', ids[0]!]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('card declined');
    expect(shown.stdout).toContain('"i": 0');
    expect(shown.stdout).toContain('at charge');
    expect(shown.stdout).toMatch(new RegExp(`^trace\\s+${TRACE_ID}$`, 'm'));
    expect((await run(['failed', 'show', ids[1]!])).stdout).toMatch(/^trace\s+-$/m);
  });

  it('retries one, retries all matching with progress, deletes', async () => {
    const one = await run(['failed', 'retry', ids[0]!]);
    expect(one.stdout).toContain(`retried ${ids[0]}`);
    const all = await run(['failed', 'retry-all', '--type', 'placed']);
    expect(all.code).toBe(0);
    expect(all.stderr).toMatch(/retrying: 11\/11/);
    expect(all.stdout).toContain('retried 11 of 11');
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(12);
    const del = await run(['failed', 'delete', ids[13]!, ids[14]!, '--json']);
    expect(JSON.parse(del.stdout)).toEqual({ deleted: 2, more: false });
  });

  it('lists and completes deferred messages', async () => {
    const record = await pgDeferredStore(env.db, { schema: env.schema }).defer(newDeferred());
    const list = await run(['deferred', 'list']);
    expect(list.stdout).toContain('waiting for stock');
    const done = await run(['deferred', 'complete', String(record.seq)]);
    expect(done.stdout).toContain(`completed #${record.seq}`);
    expect(JSON.parse((await run(['deferred', 'list', '--json'])).stdout).items).toHaveLength(0);
  });

  it('lists and cancels scheduled messages, by id and by tags', async () => {
    const scheduler = createScheduler({ db: env.db, schema: env.schema, source: 'test' });
    const at = new Date(Date.now() + 3_600_000);
    const a = await scheduler.schedule(undefined, Reminder, { n: 1 }, { at, tags: { orderId: 'o1' } });
    await scheduler.schedule(undefined, Reminder, { n: 2 }, { at, tags: { orderId: 'o2' } });
    const list = await run(['scheduled', 'list', '--tag', 'orderId=o1']);
    expect(list.stdout).toContain(a);
    expect(list.stdout).toContain('orderId=o1');
    expect((await run(['scheduled', 'cancel', a])).stdout).toContain(`cancelled ${a}`);
    expect(JSON.parse((await run(['scheduled', 'cancel', '--type', 'reminder', '--tag', 'orderId=o2', '--json'])).stdout)).toEqual({ cancelled: 1 });
  });

  it('prints stats', async () => {
    const stats = await run(['stats']);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/failed 1\s+retried 12\s+resolved 0\s+deleted 2/);
    expect(stats.stdout).toMatch(/outbox: 12 pending/);
  });

  it('retries with an edited payload from --payload; bad JSON exits 2 and retries nothing', async () => {
    const id = ids[12]!; // the one `shipped` failure still failed
    const status = async () => (JSON.parse((await run(['failed', 'show', id, '--json'])).stdout) as { status: string }).status;
    const outbox = await countRows(env.db, env.schema, 'outbox');

    const bad = await run(['failed', 'retry', id, '--payload', '{orderId: 1}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^metro-admin: --payload is not valid JSON \(.+\)\. Give the whole new payload as one JSON value, in single quotes for the shell: --payload '\{"orderId":"1"\}'\.\n$/,
    );
    expect(bad.stdout).toBe('');
    const empty = await run(['failed', 'retry', id, '--payload', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--payload is not valid JSON');

    const invalid = await run(['failed', 'retry', id, '--payload', '{"orderId":1}']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/BAD_REQUEST: .*orderId: expected a string/);
    expect(await status()).toBe('failed');
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(outbox);

    const edited = await run(['failed', 'retry', id, '--payload', '{"orderId":"fixed-by-cli"}']);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain(`retried ${id}`);
    expect(await status()).toBe('retried');
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(outbox + 1);
    expect(await countRows(env.db, env.schema, 'outbox', sql`convert_from(body, 'UTF8') like '%fixed-by-cli%'`)).toBe(1);
  });

  it('resumes deferred messages: each back into its queue, once', async () => {
    const store = pgDeferredStore(env.db, { schema: env.schema });
    const [a, b] = [await store.defer(newDeferred()), await store.defer(newDeferred({ reason: 'waiting for payment' }))];
    const outbox = await countRows(env.db, env.schema, 'outbox');
    const resumed = await run(['deferred', 'resume', String(a.seq), String(b.seq)]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe(`resumed #${a.seq}\nresumed #${b.seq}\n`);
    expect(await store.get(a.seq)).toBeUndefined();
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(outbox + 2);
    expect(JSON.parse((await run(['deferred', 'resume', String(a.seq), '--json'])).stdout)).toEqual([{ seq: a.seq, resumed: false }]);
    expect(await countRows(env.db, env.schema, 'outbox')).toBe(outbox + 2);
    const bad = await run(['deferred', 'resume', 'x1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"x1" is not a deferred seq');
  });

  it('documents --payload and deferred resume in --help', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('failed retry <id>... [--payload JSON]');
    expect(help.stdout).toMatch(/--payload JSON\s+with failed retry: the edited payload, e\.g\. --payload '\{"orderId":"1"\}'/);
    expect(help.stdout).toContain('deferred resume <seq>...');
    expect(help.stdout).toContain('2 usage (unknown command, bad option, invalid --payload JSON)');
  });

  it('fails clearly with a wrong token, no token, or a bad command', async () => {
    const wrong = await run(['failed', 'list', '--token', 'nope']);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toContain('UNAUTHORIZED');
    const none = await run(['failed', 'list'], { METRO_ADMIN_TOKEN: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('METRO_ADMIN_TOKEN');
    const bad = await run(['failed', 'explode']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Usage');
    const down = await run(['failed', 'list', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(1);
  });
});
