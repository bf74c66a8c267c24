// The packages this repository publishes: every `packages/*` and `apps/*` whose package.json is not
// private, found on disk (so a package is checked from the day it appears or turns public).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** @returns {Array<{ dir: string; path: string; name: string; version: string }>} `dir` is relative to the repository, e.g. `packages/core`. */
export function publishedPackages() {
  const found = [];
  for (const parent of ['packages', 'apps']) {
    const root = join(repoRoot, parent);
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root, { withFileTypes: true })) {
      const path = join(root, entry.name);
      if (!entry.isDirectory() || !existsSync(join(path, 'package.json'))) continue;
      const pkg = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
      if (pkg.private === true) continue;
      found.push({ dir: `${parent}/${entry.name}`, path, name: pkg.name, version: pkg.version });
    }
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

// `node published-packages.mjs --filters` prints turbo filters (`--filter=./packages/core ...`).
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--filters')) {
  console.log(
    publishedPackages()
      .map((p) => `--filter=./${p.dir}`)
      .join(' '),
  );
}
