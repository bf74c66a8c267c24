// Packs every @metro/* package with `pnpm pack`, installs the tarballs with plain `npm install` in
// a scratch project outside the workspace, and runs them with plain `node` and `tsc`: what a user
// who runs `npm install @metro/core @metro/transport-amqp` gets, before anything is published.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectPackage, listFiles } from './support/inspect-package.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const PACKAGES = ['core', 'transport-amqp', 'outbox-pg', 'rpc', 'scheduler', 'admin-trpc'] as const;
type PackageDir = (typeof PACKAGES)[number];
const AMQP_URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** The environment of a plain shell: no npm_* / pnpm variables leaking in from `pnpm test`. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|pnpm_)/i.test(key) && key !== 'NODE_OPTIONS') env[key] = value;
  return env;
}

let work: string;
let project: string;
const tarballs = new Map<PackageDir, { file: string; name: string; version: string; bytes: number }>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'metro-release-check-'));
  const packs = join(work, 'tarballs');
  mkdirSync(packs);
  for (const dir of PACKAGES) {
    const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', packs], { cwd: join(repo, 'packages', dir), env: plainEnv(), timeout: 60_000 });
    const packed = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { name: string; version: string; filename: string };
    const file = existsSync(packed.filename) ? packed.filename : join(packs, packed.filename);
    const unpacked = join(work, 'unpacked', dir);
    mkdirSync(unpacked, { recursive: true });
    await run('tar', ['-xzf', file, '-C', unpacked]);
    tarballs.set(dir, { file, name: packed.name, version: packed.version, bytes: statSync(file).size });
  }
  console.table(
    [...tarballs.entries()].map(([dir, t]) => ({
      package: t.name,
      tarball: t.file.split('/').pop(),
      'packed kB': +(t.bytes / 1024).toFixed(1),
      files: listFiles(join(work, 'unpacked', dir, 'package')).length,
    })),
  );

  project = join(work, 'project');
  mkdirSync(project);
  const dependencies = Object.fromEntries([...tarballs.values()].map((t) => [t.name, `file:${t.file}`]));
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'metro-release-check-project',
        private: true,
        type: 'module',
        dependencies,
        // The packages depend on each other by version (`^0.1.0`): use the tarballs, never the registry.
        overrides: Object.fromEntries(Object.keys(dependencies).map((name) => [name, `$${name}`])),
      },
      null,
      2,
    ),
  );
  for (const fixture of readdirSync(fixtures)) copyFileSync(join(fixtures, fixture), join(project, fixture));
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier'], { cwd: project, env: plainEnv(), timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed @metro/* tarballs', () => {
  it.each(PACKAGES)('%s: holds dist (ESM + declarations), README and LICENSE; no tests, no dangling maps, no workspace: ranges', (dir) => {
    const versions = new Map([...tarballs.values()].map((t) => [t.name, t.version]));
    const unpacked = join(work, 'unpacked', dir, 'package');
    expect(inspectPackage(unpacked, versions, join(repo, 'packages', dir, 'src'))).toEqual([]);
    const files = listFiles(unpacked);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE']));
    expect(files.filter((f) => /(^|\/)test\//.test(f) || f.endsWith('.map'))).toEqual([]);
  });

  it('install with plain npm, each package once and from its tarball', () => {
    for (const t of tarballs.values()) {
      const installed = join(project, 'node_modules', ...t.name.split('/'));
      expect(existsSync(join(installed, 'dist', 'index.js')), `${t.name} installed`).toBe(true);
      expect(existsSync(join(installed, 'node_modules', '@metro')), `${t.name} got its own copy of a @metro package`).toBe(false);
    }
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string; version?: string }> };
    for (const t of tarballs.values()) {
      const entry = lock.packages[`node_modules/${t.name}`];
      expect(entry?.resolved, `${t.name} resolved from`).toMatch(new RegExp(`^file:.*${t.file.split('/').pop()!.replace(/\./g, '\\.')}$`));
      expect(entry?.version).toBe(t.version);
    }
    expect(existsSync(join(project, 'node_modules', '.bin', 'metro-admin'))).toBe(true);
  });

  it('load through their exports maps with plain node, from the installed copies', async () => {
    const { stdout } = await run('node', ['entries.mjs'], { cwd: project, env: plainEnv(), timeout: 60_000 });
    type Entry = { resolved: string; exports: string[]; needsOptionalPeer?: string; error?: string };
    const entries = JSON.parse(stdout) as Record<string, Entry>;
    console.table(Object.entries(entries).map(([entry, e]) => ({ entry, exports: e.exports.length, note: e.error ?? (e.needsOptionalPeer ? `resolved only: needs optional peer ${e.needsOptionalPeer}` : '') })));
    // Every package's main entry, plus the sub-entries the design names, with a few of the names it promises.
    const expected: Record<string, string[]> = {
      '@metro/core': ['createMetro', 'defineEvent', 'defineCommand', 'InMemoryTransport', 'MetroError'],
      '@metro/transport-amqp': ['AmqpTransport'],
      '@metro/outbox-pg': ['migrate', 'createOutbox', 'createOutboxRelay', 'createInbox', 'pgFailureStore', 'pgDeferredStore'],
      '@metro/rpc': ['defineProcedure', 'createRestClient', 'RpcTimeoutError', 'RemoteError', 'merge'],
      '@metro/scheduler': ['createScheduler'],
      '@metro/admin-trpc': ['createAdminRouter', 'createAdminServer'],
      '@metro/admin-trpc/client': ['createAdminClient'],
      // The test harness needs no test runner: it loads with plain node.
      '@metro/core/testing': ['createTestMetro', 'fakeService'],
    };
    expect(Object.keys(entries)).toEqual(expect.arrayContaining([...Object.keys(expected), '@metro/core/contract', '@metro/outbox-pg/pglite']));
    for (const [entry, names] of Object.entries(expected)) {
      expect(entries[entry]!.exports, entry).toEqual(expect.arrayContaining(names));
    }
    for (const [entry, found] of Object.entries(entries)) {
      expect(found.error, `${entry} failed to load`).toBeUndefined();
      expect(fileURLToPath(found.resolved), entry).toMatch(new RegExp(`^${project}/node_modules/@metro/[a-z-]+/dist/.+\\.js$`));
      if (found.needsOptionalPeer === undefined) expect(found.exports.length, `${entry} exports nothing`).toBeGreaterThan(0);
    }
    // '@metro/core/contract' imports vitest and '@metro/outbox-pg/pglite' PGlite: optional peers the scratch project leaves out.
    expect(entries['@metro/core/contract']).toMatchObject({ needsOptionalPeer: 'vitest' });
    expect(entries['@metro/core/contract']!.resolved).toMatch(/\/node_modules\/@metro\/core\/dist\/testing\/contract\.js$/);
    expect(entries['@metro/outbox-pg/pglite']).toMatchObject({ needsOptionalPeer: '@electric-sql/pglite' });
  });

  it('run an event round trip through RabbitMQ with plain node', async () => {
    const suffix = randomBytes(4).toString('hex');
    const { stdout } = await run('node', ['round-trip.mjs', suffix], { cwd: project, env: { ...plainEnv(), METRO_AMQP_URL: AMQP_URL }, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ payload: { orderId: suffix }, type: 'placed' });
    expect(lines.at(-1)).toBe('OK');
  });

  it('ship declarations that type-check a user program (strict, NodeNext)', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['types-check.ts'],
      }),
    );
    const tsc = createRequire(join(repo, 'package.json')).resolve('typescript/bin/tsc');
    const errors = await run('node', [tsc, '-p', 'tsconfig.json'], { cwd: project, env: plainEnv(), timeout: 120_000 }).then(
      () => [],
      (e: { stdout?: string; stderr?: string; message: string }) => {
        const lines = (e.stdout ?? '').split('\n').filter((line) => /error TS\d+/.test(line));
        if (lines.length === 0) return [`tsc did not run: ${e.stderr || e.message}`];
        // Only errors in Metro's declarations or in the program count: third-party declarations
        // (PGlite's want @types/emscripten) are their authors' business, as with skipLibCheck.
        return lines.filter((line) => !line.startsWith('node_modules/') || line.startsWith('node_modules/@metro/'));
      },
    );
    expect(errors).toEqual([]);
  });

  it('install a working metro-admin bin', async () => {
    const { stdout } = await run(join(project, 'node_modules', '.bin', 'metro-admin'), ['--help'], { cwd: project, env: plainEnv(), timeout: 30_000 });
    expect(stdout).toMatch(/^metro-admin: /);
    expect(stdout).toContain('Usage: metro-admin');
  });
});
