import { resolve } from 'node:path';

/** The parsed command line of `metro-dev`. */
export interface DevArgs {
  readonly command: [string, ...string[]];
  readonly watch: string[];
  readonly graceMs?: number;
}

/**
 * Parses the command line of `metro-dev`; `undefined` when it is not usable. A first argument
 * that is not an option is a script run with this Node; after `--` comes any command.
 *
 * @example
 * ```ts
 * parseDevArgs(['--watch', 'dist', 'dist/main.js']); // { command: [node, 'dist/main.js'], watch: ['/abs/dist'] }
 * ```
 */
export function parseDevArgs(argv: ReadonlyArray<string>): DevArgs | undefined {
  const watchDirs: string[] = [];
  let graceMs: number | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--watch' && argv[i + 1] !== undefined) watchDirs.push(resolve(argv[++i]!));
    else if (arg === '--grace' && Number.isFinite(Number(argv[i + 1]))) graceMs = Number(argv[++i]);
    else if (arg === '--') {
      i++;
      break;
    } else if (arg.startsWith('-')) return undefined;
    else break;
  }
  const rest = argv.slice(i);
  if (rest.length === 0) return undefined;
  const isScript = argv[i - 1] !== '--';
  const command: [string, ...string[]] = isScript ? [process.execPath, ...rest] : (rest as [string, ...string[]]);
  if (watchDirs.length === 0) watchDirs.push(isScript ? resolve(rest[0]!, '..') : process.cwd());
  return { command, watch: watchDirs, ...(graceMs !== undefined ? { graceMs } : {}) };
}
