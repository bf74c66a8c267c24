// Packs every published package once (`pnpm pack`: what `pnpm publish` would upload, with the
// `workspace:` ranges turned into versions) for all the release-check test files, and unpacks each.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { publishedPackages } from '../scripts/published-packages.mjs';
import { plainEnv } from './support/plain-env.js';

const run = promisify(execFile);

export interface PackedPackage {
  /** Where it lives in the repository, e.g. `packages/core`. */
  dir: string;
  name: string;
  version: string;
  /** The tarball's path. */
  file: string;
  bytes: number;
  /** The unpacked tarball's `package/` folder: the files npm installs. */
  unpacked: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    packed: PackedPackage[];
    tarballDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const work = mkdtempSync(join(tmpdir(), 'metro-packed-'));
  const tarballDir = join(work, 'tarballs');
  mkdirSync(tarballDir);
  const packed: PackedPackage[] = [];
  for (const pkg of publishedPackages()) {
    const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', tarballDir], { cwd: pkg.path, env: plainEnv(), timeout: 120_000 });
    const info = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { name: string; version: string; filename: string };
    const file = existsSync(info.filename) ? info.filename : join(tarballDir, info.filename);
    const unpacked = join(work, 'unpacked', pkg.dir);
    mkdirSync(unpacked, { recursive: true });
    await run('tar', ['-xzf', file, '-C', unpacked]);
    packed.push({ dir: pkg.dir, name: info.name, version: info.version, file, bytes: statSync(file).size, unpacked: join(unpacked, 'package') });
  }
  project.provide('packed', packed);
  project.provide('tarballDir', tarballDir);
  return () => rmSync(work, { recursive: true, force: true });
}
