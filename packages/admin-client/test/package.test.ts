// The client and the CLI as a user installs them: `pnpm pack`, `npm install` of the tarball alone
// in a scratch project outside the workspace, then the installed `metro-admin` against a live
// admin server. What it pulls in is the footprint the README states.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '@metro/core';
import { createAdminRouter, createAdminServer, tokenAuth } from '@metro/admin-trpc';
import { createTestDb, newFailure, recordMany } from './support.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let work: string;
let project: string;
let installed: string[];

/** The environment of a plain shell: no npm_* / pnpm variables leaking in from `pnpm test`. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|pnpm_)/i.test(key) && key !== 'NODE_OPTIONS') env[key] = value;
  return env;
}

beforeAll(async () => {
  if (!existsSync(join(packageDir, 'dist', 'cli', 'metro-admin.js'))) await run('pnpm', ['run', 'build'], { cwd: packageDir, timeout: 120_000 });
  work = mkdtempSync(join(tmpdir(), 'metro-admin-client-pack-'));
  const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', work], { cwd: packageDir, env: plainEnv(), timeout: 60_000 });
  const packed = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { filename: string };
  const tarball = existsSync(packed.filename) ? packed.filename : join(work, packed.filename);
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module', dependencies: { '@metro/admin-client': `file:${tarball}` } }),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--prefer-offline'], { cwd: project, env: plainEnv(), timeout: 180_000 });
  const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  installed = Object.keys(lock.packages)
    .filter((k) => k.startsWith('node_modules/') && existsSync(join(project, k, 'package.json')))
    .map((k) => k.slice('node_modules/'.length))
    .sort();
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it('installs with ws as its only dependency: no server, no database driver, no TypeScript', () => {
  expect(installed).toEqual(['@metro/admin-client', 'ws']);
});

it('loads through its exports map with plain node, from ESM and from CommonJS', async () => {
  const { stdout } = await run(
    'node',
    ['--input-type=module', '-e', "import('@metro/admin-client').then((m) => console.log(Object.keys(m).sort().join(',')))"],
    { cwd: project, env: plainEnv(), timeout: 30_000 },
  );
  expect(stdout.trim()).toBe('TRPCClientError,createAdminClient');
  // And from CommonJS (require() of ES modules, Node 20.19+): no top-level await in the way.
  const cjs = await run('node', ['-e', "console.log(Object.keys(require('@metro/admin-client')).sort().join(','))"], {
    cwd: project,
    env: plainEnv(),
    timeout: 30_000,
  });
  expect(cjs.stdout.trim()).toBe('TRPCClientError,createAdminClient');
});

it('runs the installed metro-admin against a live admin server', async () => {
  const env = await createTestDb('admin_client_pack');
  const admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: tokenAuth({ ops: { token: 'pack-token-0123456789', roles: ['operator'] } }),
    logger: silentLogger,
  });
  const server = await createAdminServer({ router: admin, port: 0 });
  try {
    const [id] = await recordMany(env.db, env.schema, [newFailure({ type: 'from-the-tarball' })]);
    const bin = join(project, 'node_modules', '.bin', 'metro-admin');
    const { stdout } = await run(bin, ['failed', 'list', '--json'], {
      cwd: project,
      env: { ...plainEnv(), METRO_ADMIN_URL: server.url, METRO_ADMIN_TOKEN: 'pack-token-0123456789' },
      timeout: 30_000,
    });
    expect((JSON.parse(stdout) as { items: Array<{ id: string; type: string }> }).items).toEqual([expect.objectContaining({ id, type: 'from-the-tarball' })]);
    const help = await run(bin, ['--help'], { cwd: project, env: plainEnv(), timeout: 30_000 });
    expect(help.stdout).toContain('Usage: metro-admin');
  } finally {
    await server.close();
    await admin.close();
    await env.drop();
  }
});
