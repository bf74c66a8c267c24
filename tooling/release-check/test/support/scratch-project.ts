// A scratch npm project outside the workspace that installs Metro from the packed tarballs with
// plain `npm install`: what a user gets from `npm install @metro/...` before anything is published.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PackedPackage } from '../global-setup.js';
import { plainEnv } from './plain-env.js';

export const run = promisify(execFile);

/**
 * Overrides that make every `@metro/*` package resolve to its tarball wherever it is asked for
 * (the packages depend on each other by version range, which the registry would otherwise serve).
 */
export function tarballOverrides(packed: readonly PackedPackage[]): Record<string, string> {
  return Object.fromEntries(packed.map((p) => [p.name, `file:${p.file}`]));
}

/**
 * Creates a project with `package.json` (the given `@metro/*` packages from their tarballs, plus
 * registry dependencies), runs `npm install`, and returns its folder.
 */
export async function scratchProject(options: {
  prefix: string;
  packed: readonly PackedPackage[];
  metro: readonly string[];
  dependencies?: Record<string, string>;
  type?: 'module' | 'commonjs';
}): Promise<string> {
  const project = join(mkdtempSync(join(tmpdir(), `${options.prefix}-`)), 'app');
  mkdirSync(project);
  const overrides = tarballOverrides(options.packed);
  const metro = Object.fromEntries(
    options.metro.map((name) => {
      const spec = overrides[name];
      if (spec === undefined) throw new Error(`${name} was not packed`);
      return [name, spec];
    }),
  );
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      { name: options.prefix, private: true, type: options.type ?? 'module', dependencies: { ...metro, ...options.dependencies }, overrides },
      null,
      2,
    ),
  );
  await npmInstall(project);
  return project;
}

export async function npmInstall(project: string, args: readonly string[] = []): Promise<void> {
  await run('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier', ...args], {
    cwd: project,
    env: plainEnv(),
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}
