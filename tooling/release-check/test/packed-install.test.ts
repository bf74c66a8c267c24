// Installs every published package's tarball (packed by the global setup with `pnpm pack`) with
// plain `npm install` in a scratch project outside the workspace, and runs them with plain `node`
// (as ES modules and as CommonJS) and `tsc`: what a user who runs
// `npm install @metro/core @metro/transport-amqp` gets, before anything is published.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inspectPackage, listFiles } from './support/inspect-package.js';
import { plainEnv } from './support/plain-env.js';
import { run, scratchProject } from './support/scratch-project.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const AMQP_URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
/** Every published package (found on disk: see scripts/published-packages.mjs), packed once by the global setup. */
const packed = inject('packed');

let project: string;

beforeAll(async () => {
  console.table(
    packed.map((t) => ({ package: t.name, tarball: t.file.split('/').pop(), 'packed kB': +(t.bytes / 1024).toFixed(1), files: listFiles(t.unpacked).length })),
  );
  // What a user installs next to the packages: the peers kysely and pg (and @types/pg, whose types
  // appear in @metro/outbox-pg's declarations) are the app's own.
  project = await scratchProject({
    prefix: 'metro-release-check',
    packed,
    metro: packed.map((p) => p.name),
    dependencies: { kysely: '^0.28.0', pg: '^8.11.0', '@types/pg': '^8.11.0' },
  });
  for (const fixture of readdirSync(fixtures)) copyFileSync(join(fixtures, fixture), join(project, fixture));
  const { stdout } = await run('du', ['-sk', 'node_modules'], { cwd: project });
  console.log(`scratch project with every package: node_modules ${(Number.parseInt(stdout, 10) / 1024).toFixed(1)} MB`);
}, 300_000);

afterAll(() => {
  if (project) rmSync(join(project, '..'), { recursive: true, force: true });
});

describe('the packed @metro/* tarballs', () => {
  it('include the packages the design promises', () => {
    expect(packed.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@metro/core', '@metro/transport-amqp', '@metro/outbox-pg', '@metro/rpc', '@metro/scheduler', '@metro/admin-trpc']),
    );
  });

  it.each(packed.map((p) => [p.dir, p] as const))(
    '%s: holds dist (ESM + declarations), README and LICENSE; no tests, no dangling maps, no workspace: ranges',
    (_dir, pkg) => {
      const versions = new Map(packed.map((t) => [t.name, t.version]));
      const unpacked = pkg.unpacked;
      expect(inspectPackage(unpacked, versions, join(repo, pkg.dir, 'src'))).toEqual([]);
      const files = listFiles(unpacked);
      expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'README.md', 'LICENSE']));
      expect(files.filter((f) => /(^|\/)test\//.test(f) || f.endsWith('.map'))).toEqual([]);
    },
  );

  it('install with plain npm, each package once and from its tarball', () => {
    for (const t of packed) {
      const installed = join(project, 'node_modules', ...t.name.split('/'));
      expect(existsSync(join(installed, 'dist', 'index.js')), `${t.name} installed`).toBe(true);
      expect(existsSync(join(installed, 'node_modules', '@metro')), `${t.name} got its own copy of a @metro package`).toBe(false);
    }
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string; version?: string }> };
    for (const t of packed) {
      const entry = lock.packages[`node_modules/${t.name}`];
      expect(entry?.resolved, `${t.name} resolved from`).toMatch(new RegExp(`^file:.*${t.file.split('/').pop()!.replace(/\./g, '\\.')}$`));
      expect(entry?.version).toBe(t.version);
    }
    expect(existsSync(join(project, 'node_modules', '.bin', 'metro-admin'))).toBe(true);
  });

  it.each([
    ['import', 'entries.mjs'],
    ['require', 'entries.cjs'],
  ])('load through their exports maps with plain node (%s), from the installed copies', async (how, script) => {
    const { stdout } = await run('node', [script], { cwd: project, env: plainEnv(), timeout: 60_000 });
    type Entry = { resolved: string; exports: string[]; needsOptionalPeer?: string; error?: string };
    const entries = JSON.parse(stdout) as Record<string, Entry>;
    console.table(
      Object.entries(entries).map(([entry, e]) => ({
        how,
        entry,
        exports: e.exports.length,
        note: e.error ?? (e.needsOptionalPeer ? `resolved only: needs optional peer ${e.needsOptionalPeer}` : ''),
      })),
    );
    // Every package's main entry, plus the sub-entries the design names, with a few of the names it promises.
    const expected: Record<string, string[]> = {
      '@metro/core': ['createMetro', 'defineEvent', 'defineCommand', 'InMemoryTransport', 'MetroError'],
      '@metro/transport-amqp': ['AmqpTransport'],
      '@metro/outbox-pg': ['migrate', 'createOutbox', 'createOutboxRelay', 'createInbox', 'pgFailureStore', 'pgDeferredStore'],
      '@metro/rpc': ['defineProcedure', 'createRestClient', 'RpcTimeoutError', 'RemoteError', 'merge'],
      '@metro/scheduler': ['createScheduler'],
      '@metro/admin-trpc': ['createAdminRouter', 'createAdminServer'],
      // The test harness needs no test runner: it loads with plain node.
      '@metro/core/testing': ['createTestMetro', 'fakeService'],
    };
    expect(Object.keys(entries)).toEqual(expect.arrayContaining([...Object.keys(expected), '@metro/core/contract', '@metro/outbox-pg/pglite']));
    for (const [entry, names] of Object.entries(expected)) {
      expect(entries[entry]!.exports, entry).toEqual(expect.arrayContaining(names));
    }
    // The admin client: in its own light package, or (before it moved) a sub-entry of the admin API.
    expect(
      Object.values(entries).some((e) => e.exports.includes('createAdminClient')),
      'some entry exports createAdminClient',
    ).toBe(true);
    for (const [entry, found] of Object.entries(entries)) {
      expect(found.error, `${entry} failed to load`).toBeUndefined();
      const path = found.resolved.startsWith('file:') ? fileURLToPath(found.resolved) : found.resolved;
      expect(path, entry).toMatch(new RegExp(`^${project}/node_modules/@metro/[a-z-]+/dist/.+\\.js$`));
      if (found.needsOptionalPeer === undefined) expect(found.exports.length, `${entry} exports nothing`).toBeGreaterThan(0);
    }
    // '@metro/core/contract' imports vitest and '@metro/outbox-pg/pglite' PGlite: optional peers the scratch project leaves out.
    expect(entries['@metro/core/contract']).toMatchObject({ needsOptionalPeer: 'vitest' });
    expect(entries['@metro/outbox-pg/pglite']).toMatchObject({ needsOptionalPeer: '@electric-sql/pglite' });
  });

  it.each([
    ['an ES module app (import)', 'round-trip.mjs'],
    ['a CommonJS app (require)', 'round-trip.cjs'],
  ])('run an event round trip through RabbitMQ with plain node: %s', async (_app, script) => {
    const suffix = randomBytes(4).toString('hex');
    const { stdout } = await run('node', [script, suffix], { cwd: project, env: { ...plainEnv(), METRO_AMQP_URL: AMQP_URL }, timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ payload: { orderId: suffix }, type: 'placed' });
    expect(lines.at(-1)).toBe('OK');
  });

  it('ship declarations that type-check a user program (strict, NodeNext; an ES module and a CommonJS file)', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['types-check.ts', 'types-check-cjs.cts'],
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

// The design's first used-by line, `pnpm add @metro/core @metro/transport-amqp`: a project with
// those two packages and nothing else, with pnpm's strict node_modules (a package that needs a
// dependency it does not declare fails here), round trips on RabbitMQ as an ES module and as
// CommonJS.
describe('the used-by line: pnpm add @metro/core @metro/transport-amqp', () => {
  let app: string;
  beforeAll(async () => {
    app = join(mkdtempSync(join(tmpdir(), 'metro-used-by-')), 'app');
    mkdirSync(app);
    const tarball = (name: string) => packed.find((p) => p.name === name)!.file;
    // The packages depend on each other by version: pnpm.overrides keep those on the tarballs too.
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify(
        { name: 'metro-used-by', private: true, type: 'module', pnpm: { overrides: Object.fromEntries(packed.map((p) => [p.name, `file:${p.file}`])) } },
        null,
        2,
      ),
    );
    const began = Date.now();
    await run('pnpm', ['add', tarball('@metro/core'), tarball('@metro/transport-amqp'), '--config.auto-install-peers=true'], {
      cwd: app,
      env: plainEnv(),
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const { stdout } = await run('du', ['-skL', 'node_modules'], { cwd: app });
    const installed = readdirSync(join(app, 'node_modules', '.pnpm')).filter((name) => name !== 'node_modules' && !name.startsWith('lock'));
    console.log(
      `used-by line: pnpm add took ${((Date.now() - began) / 1000).toFixed(1)} s; ${installed.length} packages, ${(Number.parseInt(stdout, 10) / 1024).toFixed(1)} MB: ${installed.join(', ')}`,
    );
    for (const script of ['round-trip.mjs', 'round-trip.cjs']) copyFileSync(join(fixtures, script), join(app, script));
  }, 300_000);
  afterAll(() => {
    if (app) rmSync(join(app, '..'), { recursive: true, force: true });
  });

  it('installs the two packages, their dependencies, and nothing of the database packages', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@metro/core', '@metro/transport-amqp']);
    const installed = readdirSync(join(app, 'node_modules', '.pnpm')).join(' ');
    for (const heavy of ['kysely', 'pg@', 'luxon', '@trpc']) expect(installed, heavy).not.toContain(heavy);
  });

  it.each([
    ['an ES module app (import)', 'round-trip.mjs'],
    ['a CommonJS app (require)', 'round-trip.cjs'],
  ])('round trips an event through RabbitMQ: %s', async (_app, script) => {
    const suffix = randomBytes(4).toString('hex');
    const { stdout } = await run('node', [script, suffix], { cwd: app, env: plainEnv({ METRO_AMQP_URL: AMQP_URL }), timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ payload: { orderId: suffix }, type: 'placed' });
    expect(lines.at(-1)).toBe('OK');
  });
});
