// The dashboard as a user gets it: `pnpm pack` the package, install the tarball with plain npm in a
// scratch project outside the workspace, and serve the installed copy's `dashboardDir`.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAdminRouter, createAdminServer, tokenAuth, type AdminRouter } from '@metro/admin-trpc';
import { createTestDb } from './support.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
let work: string;
let files: string[];
let installed: { dashboardDir: string };
let manifest: Record<string, unknown>;

/** The environment of a plain shell: no npm_* / pnpm variables leaking in from `pnpm test`. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(npm_|pnpm_)/i.test(key) && key !== 'NODE_OPTIONS') env[key] = value;
  return env;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'metro-admin-web-pack-'));
  const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', work], { cwd: packageDir, env: plainEnv(), timeout: 60_000 });
  const packed = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { filename: string; files: Array<{ path: string }> };
  files = packed.files.map((f) => f.path).sort();
  const tarball = existsSync(packed.filename) ? packed.filename : join(work, packed.filename);
  const project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module', dependencies: { '@metro/admin-web': `file:${tarball}` } }),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier', '--offline'], { cwd: project, env: plainEnv(), timeout: 120_000 });
  const root = join(project, 'node_modules', '@metro', 'admin-web');
  manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  // Through the exports map, with plain node, as an app would.
  const { stdout: out } = await run('node', ['--input-type=module', '-e', "import('@metro/admin-web').then((m) => console.log(JSON.stringify(m)))"], {
    cwd: project,
    env: plainEnv(),
    timeout: 30_000,
  });
  installed = JSON.parse(out) as { dashboardDir: string };
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

it('packs the built dashboard and the entry, no maps, no tests, no runtime dependencies', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'dist/index.js',
      'dist/index.d.ts',
      'dist/dashboard/index.html',
      'dist/dashboard/app.js',
      'dist/dashboard/styles.css',
      'README.md',
      'LICENSE',
      'package.json',
    ]),
  );
  expect(files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  expect(manifest['private']).toBeUndefined();
  expect(manifest['dependencies'] ?? {}).toEqual({});
  expect(manifest['peerDependencies'] ?? {}).toEqual({});
});

it('exports dashboardDir: the installed copy of the built dashboard', () => {
  expect(installed.dashboardDir).toBe(join(work, 'project', 'node_modules', '@metro', 'admin-web', 'dist', 'dashboard'));
  expect(existsSync(join(installed.dashboardDir, 'index.html'))).toBe(true);
  expect(pathToFileURL(installed.dashboardDir).href).toMatch(/^file:/);
});

it('loads from CommonJS too (require() of ES modules, Node 20.19+)', async () => {
  const { stdout } = await run('node', ['-e', "console.log(require('@metro/admin-web').dashboardDir)"], {
    cwd: join(work, 'project'),
    env: plainEnv(),
    timeout: 30_000,
  });
  expect(stdout.trim()).toBe(installed.dashboardDir);
});

it('is served by createAdminServer({ staticDir: dashboardDir }) from the install', async () => {
  const env = await createTestDb('admin_web_pack');
  const admin: AdminRouter = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: tokenAuth({ ops: { token: 'pack-token-0123456789', roles: ['operator'] } }),
  });
  const server = await createAdminServer({ router: admin, port: 0, staticDir: installed.dashboardDir });
  try {
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('app.js');
    const app = await fetch(`${server.url}/app.js`);
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toContain('text/javascript');
    // The bundle carries the client: no bare import left for a browser to fail on.
    expect(await app.text()).not.toMatch(/from\s*["'](ws|@trpc\/client|@metro\/[a-z-]+)["']/);
  } finally {
    await server.close();
    await admin.close();
    await env.drop();
  }
});
