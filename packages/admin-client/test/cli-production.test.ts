import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenAuth, type AdminServer } from '@metro/admin-trpc';
import { CLI_BIN, createTestDb, newFailure, recordMany, runCli, serveAdmin, terminalControls as controls } from './support.js';

const TOKENS = { viewer: 'viewer-cli-token-0123456789', operator: 'operator-cli-token-0123456789', admin: 'admin-cli-token-0123456789' } as const;
let env: Awaited<ReturnType<typeof createTestDb>>;
let served: Awaited<ReturnType<typeof serveAdmin>>;
let server: AdminServer;
let hostileId: string;
let plainIds: string[];

// What an attacker puts in message data: clear-line, a window title, an OSC 52 clipboard write,
// an OSC 8 link, a one-byte C1 CSI, a bidi override, a bell.
const HOSTILE =
  'declined\u001b[2K\u001b]0;pwned\u0007\u001b]52;c;cm0gLXJmIH4=\u0007\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\\u009b2J\u202egnp.exe\u0007';

function run(role: keyof typeof TOKENS | 'wrong', args: string[]) {
  return runCli(args, { METRO_ADMIN_URL: server.url, METRO_ADMIN_TOKEN: role === 'wrong' ? 'wrong-token-0123456789abc' : TOKENS[role] });
}

beforeAll(async () => {
  if (!existsSync(CLI_BIN)) execFileSync('pnpm', ['run', 'build'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
  env = await createTestDb('admin_cli_prod');
  hostileId = (
    await recordMany(env.db, env.schema, [
      newFailure({
        type: `placed\u001b]0;title\u0007`,
        data: { note: HOSTILE, ['key\u009b']: 1 },
        error: { name: 'Error', message: HOSTILE, stack: `Error: ${HOSTILE}\n    at charge (billing.ts:1:1)` },
        headers: { 'x-note': HOSTILE },
      }),
    ])
  )[0]!;
  plainIds = await recordMany(
    env.db,
    env.schema,
    Array.from({ length: 3 }, () => newFailure({ type: 'plain' })),
  );
  served = await serveAdmin(env, {
    authorize: tokenAuth({
      viewer: { token: TOKENS.viewer, roles: ['viewer'] },
      operator: { token: TOKENS.operator, roles: ['operator'] },
      admin: { token: TOKENS.admin, roles: ['admin'] },
    }),
  });
  server = served.server;
}, 60_000);

afterAll(async () => {
  await served?.close();
  await env?.drop();
});

describe('metro-admin in production', () => {
  it('escapes control characters from message data in tables, details, JSON and the audit', async () => {
    const outputs = [
      await run('operator', ['failed', 'list']),
      await run('operator', ['failed', 'show', hostileId]),
      await run('operator', ['failed', 'list', '--json']),
      await run('operator', ['failed', 'show', hostileId, '--json']),
      await run('operator', ['stats']),
    ];
    for (const o of outputs) {
      expect(o.code).toBe(0);
      expect(controls(o.stdout + o.stderr)).toEqual([]);
    }
    expect(outputs[1]!.stdout).toContain('declined\\x1b[2K\\x1b]0;pwned\\x07\\x1b]52;c;');
    expect(outputs[1]!.stdout).toContain('\\x9b2J\\u202egnp.exe');
    // The JSON is still JSON, with the same data.
    const detail = JSON.parse(outputs[3]!.stdout) as { error: { message: string } };
    expect(detail.error.message).toBe(HOSTILE);
  });

  it('prints "forbidden for role viewer" and exits 3 when a viewer asks to change anything; 4 for a wrong token', async () => {
    for (const args of [
      ['failed', 'retry', plainIds[0]!],
      ['failed', 'delete', plainIds[0]!],
      ['failed', 'restore', plainIds[0]!],
      ['failed', 'retry-all', '--type', 'plain'],
    ]) {
      const r = await run('viewer', args);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr).toMatch(/^metro-admin: forbidden for role viewer: failed\.\w+ needs the operator role/);
    }
    expect((await run('viewer', ['failed', 'list'])).code).toBe(0);
    const shown = await run('viewer', ['failed', 'show', plainIds[0]!]);
    expect(shown.stdout).toContain('payload: (hidden');
    expect((await run('operator', ['audit'])).code).toBe(3);
    expect((await run('wrong', ['failed', 'list'])).code).toBe(4);
  });

  it('restores deleted failures and shows the audit trail to an admin', async () => {
    expect((await run('operator', ['failed', 'delete', plainIds[1]!, plainIds[2]!])).stdout).toContain('deleted 2 of 2');
    const restored = await run('operator', ['failed', 'restore', plainIds[1]!, plainIds[2]!, 'no-such-id']);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('restored 2 of 3');
    const audit = await run('admin', ['audit', '--principal', 'operator', '--procedure', 'failed.restoreMany']);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^TIME\s+PRINCIPAL\s+ROLES\s+ADDRESS\s+VIA\s+KIND\s+PROCEDURE\s+OUTCOME\s+COUNT\s+INPUT/);
    expect(audit.stdout).toMatch(/operator\s+operator\s+\S*127\.0\.0\.1\s+http\s+mutation\s+failed\.restoreMany\s+ok\s+2\s+3 ids/);
    const json = JSON.parse((await run('admin', ['audit', '--kind', 'mutation', '--outcome', 'forbidden', '--json'])).stdout) as {
      items: Array<{ principal: string }>;
    };
    expect(json.items.length).toBeGreaterThanOrEqual(4);
    expect(new Set(json.items.map((e) => e.principal))).toEqual(new Set(['viewer']));
    expect((await run('admin', ['audit', '--kind', 'nope'])).code).toBe(2);
  });
});
