#!/usr/bin/env node
// Empties packages/*/dist before a release build. tsc never deletes the output of a source file
// that was removed or renamed, and turbo's cache restores whatever dist held when it was cached,
// so a release builds from empty dist folders with `turbo run build --force`.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packages = fileURLToPath(new URL('../../../packages/', import.meta.url));
for (const name of readdirSync(packages)) {
  const dist = join(packages, name, 'dist');
  if (!existsSync(dist)) continue;
  rmSync(dist, { recursive: true, force: true });
  console.log(`removed packages/${name}/dist`);
}
