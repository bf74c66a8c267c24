// Checks one unpacked package tarball (the `package/` folder npm would install) and returns every
// problem found, worded for the package's owner. An empty list means the tarball is publishable.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, posix, relative, sep } from 'node:path';

/** Every file under `dir`, as `/`-separated paths relative to it, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const full = join(at, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

interface PackageJson {
  name: string;
  version: string;
  type?: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'];
const TEST_FILE = /(^|\/)(test|tests|__tests__|test-output|fixtures)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)vitest\.config\./;
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.tsx', '.js', '.mjs'];
const SOURCE_MAPPING_URL = /^\/\/# sourceMappingURL=(.+)$/m;

/** Targets of an `exports` map, with the condition order of each entry. */
function exportTargets(exports: unknown, key = '.'): Array<{ key: string; target: string; conditions: string[] }> {
  if (typeof exports === 'string') return [{ key, target: exports, conditions: [] }];
  if (typeof exports !== 'object' || exports === null) return [];
  const entries = Object.entries(exports as Record<string, unknown>);
  if (entries.every(([k]) => k.startsWith('.'))) return entries.flatMap(([k, v]) => exportTargets(v, k));
  const conditions = entries.map(([k]) => k);
  return entries.flatMap(([, v]) => exportTargets(v, key).map((t) => ({ ...t, conditions })));
}

/** Where a relative specifier in `fromFile` lands in the tarball, for a .js or a .d.ts importer. */
function importTarget(fromFile: string, specifier: string): string[] {
  const target = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
  if (!fromFile.endsWith('.d.ts')) return [target];
  return [target.replace(/\.js$/, '.d.ts'), target.replace(/\.mjs$/, '.d.mts'), target, `${target}.d.ts`];
}

/**
 * The problems of one unpacked tarball: missing files, test files, dangling source maps,
 * `workspace:` ranges, exports/bin targets that are not there, relative imports of missing files,
 * and (given the package's `src` folder) build outputs whose source file is gone.
 */
export function inspectPackage(dir: string, packedVersions: ReadonlyMap<string, string>, sourceDir?: string): string[] {
  const problems: string[] = [];
  const files = listFiles(dir);
  const has = new Set(files);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  const raw = readFileSync(join(dir, 'package.json'), 'utf8');

  for (const required of REQUIRED) if (!has.has(required)) problems.push(`missing ${required}`);
  for (const file of files) if (TEST_FILE.test(file)) problems.push(`test file packed: ${file}`);
  if (sourceDir !== undefined) {
    // tsc's output: a declaration file, or a script with one beside it. A bundler's output (esbuild's
    // `chunks/`, a browser bundle) has no declaration file and no source file of its own name.
    const compiled = (f: string): boolean =>
      /\.d\.m?ts$/.test(f) || (f.endsWith('.js') && has.has(f.replace(/\.js$/, '.d.ts'))) || (f.endsWith('.mjs') && has.has(f.replace(/\.mjs$/, '.d.mts')));
    for (const file of files.filter((f) => /^dist\/.+\.(m?js|d\.m?ts)$/.test(f) && compiled(f))) {
      const stem = file.replace(/^dist\//, '').replace(/\.(d\.m?ts|m?js)$/, '');
      if (!SOURCE_EXTENSIONS.some((ext) => existsSync(join(sourceDir, stem + ext)))) {
        problems.push(`stale build output ${file}: there is no src/${stem}.ts any more (build from an empty dist; \`pnpm release:dry\` does)`);
      }
    }
  }
  if (pkg.type !== 'module') problems.push(`package.json "type" is ${String(pkg.type)}, not "module"`);
  if (pkg.private) problems.push('package.json is private: it cannot be published');
  if (raw.includes('workspace:')) problems.push('package.json still holds a "workspace:" range');

  for (const deps of [pkg.dependencies, pkg.peerDependencies, pkg.optionalDependencies]) {
    for (const [name, range] of Object.entries(deps ?? {})) {
      const packed = packedVersions.get(name);
      if (packed !== undefined && !range.endsWith(packed)) problems.push(`dependency ${name}@${range} does not point at the packed ${packed}`);
    }
  }

  for (const { key, target, conditions } of exportTargets(pkg.exports)) {
    if (!has.has(normalize(target).split(sep).join('/'))) problems.push(`exports["${key}"] points at missing ${target}`);
    if (conditions.includes('types') && conditions[0] !== 'types') problems.push(`exports["${key}"]: "types" must be the first condition`);
  }
  for (const field of ['main', 'types'] as const) {
    const target = pkg[field];
    if (target !== undefined && !has.has(posix.normalize(target))) problems.push(`"${field}" points at missing ${target}`);
  }
  const bins = typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {});
  for (const [name, target] of Object.entries(bins)) {
    const file = posix.normalize(target);
    if (!has.has(file)) problems.push(`bin ${name} points at missing ${target}`);
    else if (!readFileSync(join(dir, file), 'utf8').startsWith('#!')) problems.push(`bin ${name} (${target}) has no #! line`);
  }

  for (const file of files) {
    const full = join(dir, file);
    if (file.endsWith('.map')) {
      const map = JSON.parse(readFileSync(full, 'utf8')) as { sources?: string[]; sourceRoot?: string; sourcesContent?: unknown[] };
      (map.sources ?? []).forEach((source, i) => {
        const at = join(dirname(full), map.sourceRoot ?? '', source);
        if (map.sourcesContent?.[i] == null && !existsSync(at)) problems.push(`${file} maps to missing ${relative(dir, at).split(sep).join('/')}`);
      });
      continue;
    }
    if (!/\.(m?js|d\.m?ts)$/.test(file)) continue;
    const text = readFileSync(full, 'utf8');
    const mapUrl = SOURCE_MAPPING_URL.exec(text)?.[1]?.trim();
    if (mapUrl && !mapUrl.startsWith('data:') && !has.has(posix.normalize(posix.join(posix.dirname(file), mapUrl)))) {
      problems.push(`${file} refers to missing source map ${mapUrl}`);
    }
    // Imports in code only: a TSDoc example's `import ... from './app-module.js'` is prose.
    for (const match of withoutBlockComments(text).matchAll(RELATIVE_IMPORT)) {
      const specifier = match[1]!;
      if (!importTarget(file, specifier).some((candidate) => has.has(candidate))) problems.push(`${file} imports missing ${specifier}`);
    }
  }
  return problems;
}

/** The text with its block comments (TSDoc included) blanked out, so their examples are not taken for imports. */
function withoutBlockComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '');
}
