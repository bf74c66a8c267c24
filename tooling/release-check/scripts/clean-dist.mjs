#!/usr/bin/env node
// Empties the dist folder of every published package before a release build. tsc never deletes the
// output of a source file that was removed or renamed, and turbo's cache restores whatever dist
// held when it was cached, so a release builds from empty dist folders with `turbo run build --force`.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { publishedPackages } from './published-packages.mjs';

for (const pkg of publishedPackages()) {
  const dist = join(pkg.path, 'dist');
  if (!existsSync(dist)) continue;
  rmSync(dist, { recursive: true, force: true });
  console.log(`removed ${pkg.dir}/dist`);
}
