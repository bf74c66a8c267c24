import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '@metro/core';
import { AdminStaticDirError, createAdminRouter, createAdminServer, tokenAuth, type AdminRouter } from '../src/index.js';
import { createTestDb } from './support.js';

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let dir: string;

beforeAll(async () => {
  env = await createTestDb('admin_static');
  admin = createAdminRouter({ db: env.db, schema: env.schema, authorize: tokenAuth({ ops: { token: 'static-token-0123456789', roles: ['operator'] } }) });
  dir = await mkdtemp(join(tmpdir(), 'metro-admin-static-'));
});

afterAll(async () => {
  await admin?.close();
  await env?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('createAdminServer({ staticDir })', () => {
  it('refuses at start a staticDir that does not exist, saying to install @metro/admin-web', async () => {
    const missing = join(dir, 'node_modules', '@metro', 'admin-web', 'dist');
    const started = createAdminServer({ router: admin, port: 0, staticDir: missing });
    await expect(started).rejects.toBeInstanceOf(AdminStaticDirError);
    await expect(started).rejects.toBeInstanceOf(ConfigurationError);
    await expect(started).rejects.toMatchObject({ code: 'CONFIGURATION', staticDir: missing });
    await expect(started).rejects.toThrow(/does not exist.*npm install @metro\/admin-web.*dashboardDir/);
  });

  it('refuses a staticDir with no index.html', async () => {
    await writeFile(join(dir, 'app.js'), '');
    await expect(createAdminServer({ router: admin, port: 0, staticDir: dir })).rejects.toThrow(/has no index\.html/);
    // A file is not a directory either.
    await expect(createAdminServer({ router: admin, port: 0, staticDir: join(dir, 'app.js') })).rejects.toThrow(/does not exist/);
  });

  it('serves a staticDir with an index.html at / (and for unknown paths), with the page headers', async () => {
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>dashboard</title>');
    const server = await createAdminServer({ router: admin, port: 0, staticDir: dir });
    try {
      for (const path of ['/', '/failed/123']) {
        const res = await fetch(server.url + path);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
        expect(await res.text()).toContain('<title>dashboard</title>');
      }
    } finally {
      await server.close();
    }
  });
});
