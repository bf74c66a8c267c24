import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigurationError } from '../errors.js';
import { isConsumers, type ConsumerRegistry } from './define-consumers.js';

/** Options of {@link discoverConsumers}. */
export interface DiscoverConsumersOptions {
  /** The directory searched, recursively (`node_modules` and dot-directories skipped): a path or a `file:` URL. */
  readonly root: string | URL;
  /**
   * Which files are consumers modules, tested against their path relative to `root` with `/`
   * separators. Default: files named `consumers` (`.js`, `.mjs`, `.ts`, `.mts`; `.d.ts` never).
   */
  readonly pattern?: RegExp;
  /** The export each module must have, made by `defineConsumers`. Default `'consumers'`. */
  readonly exportName?: string;
}

const DEFAULT_PATTERN = /(?:^|\/)consumers\.(?:m?js|m?ts)$/;
const DECLARATION = /\.d\.m?ts$/;

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

/**
 * Finds every module under `root` whose path matches `pattern`, imports it and registers its
 * `consumers` export (made by `defineConsumers`) on the bus, in path order; resolves with the
 * modules' paths relative to `root`. Explicit, not magic: a pattern that matches nothing, a
 * matching module without the export (a typo such as `consumer`), or an export not made by
 * `defineConsumers` is a `ConfigurationError`, never a silent skip.
 *
 * @example
 * ```ts
 * const metro = createMetro({ service: 'billing', transport });
 * const modules = await discoverConsumers(metro, { root: new URL('./', import.meta.url) }); // ['orders/consumers.js', 'payments/consumers.js']
 * await metro.start();
 * ```
 */
export async function discoverConsumers<Trx>(metro: ConsumerRegistry<Trx>, options: DiscoverConsumersOptions): Promise<string[]> {
  const root = options.root instanceof URL ? fileURLToPath(options.root) : options.root;
  const pattern = options.pattern ?? DEFAULT_PATTERN;
  const exportName = options.exportName ?? 'consumers';
  let files: string[];
  try {
    files = await filesUnder(root);
  } catch (err) {
    throw new ConfigurationError(`discoverConsumers: cannot read the directory "${root}" (${(err as Error).message}); check \`root\`.`);
  }
  const modules = files
    .map((file) => relative(root, file).split(sep).join('/'))
    .filter((path) => pattern.test(path) && !DECLARATION.test(path))
    .sort();
  if (modules.length === 0)
    throw new ConfigurationError(`discoverConsumers: no file under "${root}" matches ${String(pattern)}; check \`root\` and \`pattern\`.`);
  for (const path of modules) {
    const module = (await import(pathToFileURL(join(root, path)).href)) as Record<string, unknown>;
    const consumers = module[exportName];
    if (consumers === undefined) {
      const exported = Object.keys(module).join(', ') || 'nothing';
      throw new ConfigurationError(
        `discoverConsumers: "${path}" matches ${String(pattern)} but has no export "${exportName}" (it exports: ${exported}). Add \`export const ${exportName} = defineConsumers((metro) => { ... })\`.`,
      );
    }
    if (!isConsumers(consumers)) throw new ConfigurationError(`discoverConsumers: the "${exportName}" export of "${path}" was not made by defineConsumers().`);
    (consumers.register as (metro: ConsumerRegistry<Trx>) => void)(metro);
  }
  return modules;
}
