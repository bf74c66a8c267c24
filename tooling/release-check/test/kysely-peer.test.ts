// kysely is a peer dependency of @metro/outbox-pg, @metro/scheduler and @metro/admin-trpc: the
// app's own kysely serves Metro too. For the floor of the declared range, the newest 0.28 and the
// newest 0.29, a scratch app installs that kysely and the tarballs, gets exactly one copy
// of kysely, type-checks its `Kysely<Database>` passed to migrate() & co. (a second copy fails with
// "Property '#private' in type 'Kysely' refers to a different member"), and runs the migrations,
// an outbox write and the failure store on PostgreSQL.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { plainEnv } from './support/plain-env.js';
import { run, scratchProject } from './support/scratch-project.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const app = fileURLToPath(new URL('./fixtures-kysely/app.ts', import.meta.url));
const DATABASE_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const packed = inject('packed');
const PEERS = ['@metro/outbox-pg', '@metro/scheduler', '@metro/admin-trpc'];

/** The declared range, the same in every package that has kysely as a peer. */
function declaredRange(): string {
  const ranges = new Set(
    packed
      .filter((p) => PEERS.includes(p.name))
      .map(
        (p) =>
          (JSON.parse(readFileSync(join(p.unpacked, 'package.json'), 'utf8')) as { peerDependencies?: Record<string, string> }).peerDependencies?.['kysely'],
      ),
  );
  expect([...ranges], 'one kysely peer range across the packages').toHaveLength(1);
  return [...ranges][0]!;
}

/** Every installed copy of kysely in a project: `node_modules/.../kysely/package.json` versions. */
function kyselyCopies(dir: string, found: string[] = []): string[] {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return found;
  for (const name of readdirSync(modules)) {
    const path = join(modules, name);
    if (!statSync(path).isDirectory()) continue;
    if (name.startsWith('@')) {
      for (const scoped of readdirSync(path)) kyselyCopies(join(path, scoped), found);
    } else {
      if (name === 'kysely') found.push((JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { version: string }).version);
      kyselyCopies(path, found);
    }
  }
  return found;
}

// The range's floor (0.27.0), the workspace's minor at its newest, and the newest release there is
// (0.29 asks for Node 22 in its engines; npm warns on Node 20, and Metro works with it there too).
const VERSIONS = ['0.27.0', '~0.28.0', '~0.29.0'];

/** The scratch app of each version, installed side by side (npm waits on the network, not the CPU). */
const projects = new Map<string, { dir: string; installed: string }>();
beforeAll(async () => {
  await Promise.all(
    VERSIONS.map(async (version) => {
      const dir = await scratchProject({
        prefix: `metro-kysely-${version.replace(/[^0-9]/g, '')}`,
        packed,
        metro: ['@metro/core', ...PEERS],
        dependencies: { kysely: version, pg: '^8.11.0', '@types/pg': '^8.11.0', '@types/node': '^20.19.0' },
      });
      copyFileSync(app, join(dir, 'app.ts'));
      const installed = (JSON.parse(readFileSync(join(dir, 'node_modules', 'kysely', 'package.json'), 'utf8')) as { version: string }).version;
      console.log(`kysely ${version}: installed ${installed}`);
      projects.set(version, { dir, installed });
    }),
  );
}, 300_000);
afterAll(() => {
  for (const { dir } of projects.values()) rmSync(join(dir, '..'), { recursive: true, force: true });
});

describe.each(VERSIONS)('an app on kysely %s', (version) => {
  let project: string;
  let installed: string;
  beforeAll(() => {
    ({ dir: project, installed } = projects.get(version)!);
  });

  it('is inside the declared peer range', () => {
    // The range is a union of caret ranges of 0.x minors (`^0.27.0 || ^0.28.0`): one of them must be this minor's.
    const [major, minor] = installed.split('.');
    const alternatives = declaredRange()
      .split('||')
      .map((r) => r.trim());
    expect(alternatives, `${installed} in ${declaredRange()}`).toContain(`^${major}.${minor}.0`);
  });

  it('installs one copy of kysely, the app’s', () => {
    expect(kyselyCopies(project)).toEqual([installed]);
  });

  it('type-checks migrate(db) & co. with the app’s Kysely<Database> (strict, NodeNext, no skipLibCheck for @metro)', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'dist',
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    const tsc = createRequire(join(repo, 'package.json')).resolve('typescript/bin/tsc');
    const errors = await run('node', [tsc, '-p', 'tsconfig.json'], { cwd: project, env: plainEnv(), timeout: 120_000 }).then(
      () => [],
      (e: { stdout?: string; stderr?: string; message: string }) => {
        const lines = (e.stdout ?? '').split('\n').filter((line) => /error TS\d+/.test(line));
        if (lines.length === 0) return [`tsc did not run: ${e.stderr || e.message}`];
        // Errors in the app or in Metro's declarations count; other libraries' are their authors' business.
        return lines.filter((line) => !line.startsWith('node_modules/') || line.startsWith('node_modules/@metro/'));
      },
    );
    expect(errors).toEqual([]);
  });

  it('runs the migrations, an outbox write and the failure store on PostgreSQL', async () => {
    const schema = `metro_kysely_${randomBytes(4).toString('hex')}`;
    const { stdout } = await run('node', ['dist/app.js', schema], { cwd: project, env: plainEnv({ DATABASE_URL }), timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    expect(result).toMatchObject({ outboxRows: 1, failures: 0 });
    expect(result['outboxMigrations']).toBeGreaterThan(0);
    expect(result['schedulerMigrations']).toBeGreaterThan(0);
  });
});
