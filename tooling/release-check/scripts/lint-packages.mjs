#!/usr/bin/env node
// Lints every published package as npm would ship it: packs it (`pnpm pack`, which turns
// `workspace:` ranges into versions), then runs publint (strict: warnings fail) and
// are-the-types-wrong on the tarball. Prints each package's findings; exits 1 if any.
//
//   node lint-packages.mjs                 pack into a temporary folder, lint, clean up
//   node lint-packages.mjs --tarballs DIR  lint the tarballs already packed in DIR
//   node lint-packages.mjs --json          print one JSON object { [name]: string[] } instead
//
// attw runs with the `esm-only` profile: the packages are ES modules only, and CommonJS apps load
// them with Node's require(esm) (Node 20.19+, 22.12+). attw 0.18 bundles TypeScript 5.6, which
// predates require(esm), so it reports every `require` as "ESM (dynamic import only)"; the
// release check proves that case for real instead (a CommonJS app requires the tarballs and runs,
// and TypeScript 5.9 `module: nodenext` type-checks a .cts file that requires them).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { publishedPackages } from './published-packages.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const attwBin = join(require.resolve('@arethetypeswrong/cli/package.json'), '..', 'dist', 'index.js');
/** Resolution modes the esm-only profile leaves out (see above). */
const IGNORED_RESOLUTIONS = new Set(['node10', 'node16-cjs']);

const args = process.argv.slice(2);
const json = args.includes('--json');
const given = args.includes('--tarballs') ? args[args.indexOf('--tarballs') + 1] : undefined;

/** The environment of a plain shell: no npm_* / pnpm variables leaking in from a pnpm script. */
function plainEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)));
}

async function tarballOf(pkg, dir) {
  if (given !== undefined) {
    const stem = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
    if (!readdirSync(dir).includes(stem)) throw new Error(`no ${stem} in ${dir}`);
    return join(dir, stem);
  }
  const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', dir], { cwd: pkg.path, env: plainEnv(), timeout: 120_000 });
  const packed = JSON.parse(stdout.slice(stdout.indexOf('{')));
  return packed.filename.startsWith('/') ? packed.filename : join(dir, packed.filename);
}

async function publintProblems(tarball) {
  const bytes = readFileSync(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    level: 'suggestion',
    strict: true,
  });
  return messages.map((m) => `publint ${m.type} ${m.code}: ${formatMessage(m, pkg, { color: false }) ?? ''}`);
}

async function attwProblems(tarball) {
  const { stdout } = await run(process.execPath, [attwBin, tarball, '--profile', 'esm-only', '--format', 'json', '--no-color'], {
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  }).catch(
    // attw exits 1 when it finds problems and still prints its JSON.
    (error) => ({ stdout: error.stdout ?? '' }),
  );
  if (!stdout.trim().startsWith('{')) return [`attw did not run: ${stdout.slice(0, 500)}`];
  const { analysis } = JSON.parse(stdout);
  if (analysis.types === false || analysis.types?.kind === 'untyped') return ['attw: the package ships no types'];
  return (analysis.problems ?? [])
    .filter((p) => !(p.resolutionKind && IGNORED_RESOLUTIONS.has(p.resolutionKind)))
    .map((p) => `attw ${p.kind}: entry "${p.entrypoint ?? '.'}"${p.resolutionKind ? ` (${p.resolutionKind})` : ''}`);
}

const dir = given ?? mkdtempSync(join(tmpdir(), 'metro-lint-packages-'));
const results = {};
try {
  for (const pkg of publishedPackages()) {
    const tarball = await tarballOf(pkg, dir);
    const [fromPublint, fromAttw] = await Promise.all([publintProblems(tarball), attwProblems(tarball)]);
    results[pkg.name] = [...fromPublint, ...fromAttw];
    if (!json) {
      const problems = results[pkg.name];
      console.log(
        problems.length === 0
          ? `ok    ${pkg.name} (publint strict, attw --profile esm-only)`
          : `FAIL  ${pkg.name}\n${problems.map((p) => `        ${p}`).join('\n')}`,
      );
    }
  }
} finally {
  if (given === undefined) rmSync(dir, { recursive: true, force: true });
}
if (json) console.log(JSON.stringify(results));
process.exit(Object.values(results).some((problems) => problems.length > 0) ? 1 : 0);
