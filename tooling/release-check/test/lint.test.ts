// publint (strict) and are-the-types-wrong on every published package's tarball, as
// `pnpm release:dry` runs them: a package.json or exports-map mistake fails `pnpm test`.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, inject, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../scripts/lint-packages.mjs', import.meta.url));

it('publint and attw find nothing in any published package', async () => {
  const packed = inject('packed');
  const { stdout } = await run(process.execPath, [script, '--tarballs', inject('tarballDir'), '--json'], {
    timeout: 200_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    if (!error.stdout?.trim().startsWith('{')) throw new Error(`lint-packages did not run: ${error.stderr || error.message}`);
    return { stdout: error.stdout };
  });
  const results = JSON.parse(stdout) as Record<string, string[]>;
  expect(Object.keys(results).sort()).toEqual(packed.map((p) => p.name).sort());
  expect(results).toEqual(Object.fromEntries(packed.map((p) => [p.name, []])));
});
