import { spawn, type ChildProcess } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';

/** Options of {@link createReloadingRunner}. */
export interface ReloadingRunnerOptions {
  /** The command and its arguments, e.g. `[process.execPath, 'dist/main.js']`. */
  readonly command: readonly [string, ...string[]];
  /** Directories watched, recursively; a change restarts the command. */
  readonly watch: ReadonlyArray<string>;
  /** How long a stopping child may take after SIGTERM before it gets SIGKILL, ms. Default 15,000 (Metro's stop timeout is 10 s). */
  readonly graceMs?: number;
  /** Changes closer together than this restart once, ms. Default 150. */
  readonly debounceMs?: number;
  /** Where the runner's own lines go. Default stderr. */
  readonly log?: (line: string) => void;
}

/** A running {@link createReloadingRunner}. */
export interface ReloadingRunner {
  /** Restarts so far. */
  readonly restarts: number;
  /**
   * Stops watching, stops the child gracefully (SIGTERM, then SIGKILL after the grace). With
   * `signalled` (the terminal's Ctrl-C reached the child too) the child gets a second to stop by
   * itself before SIGTERM, which it would take as a second signal. Safe to call twice.
   */
  stop(options?: { signalled?: boolean }): Promise<void>;
}

const IGNORED = /(?:^|[/\\])(?:node_modules|\.git)(?:[/\\]|$)/;

/**
 * Runs a command (a service's consumers and relay) and restarts it when a file under `watch`
 * changes: SIGTERM first, so the service stops gracefully (`stopOnSignals`), SIGKILL only after
 * `graceMs`, then the command again. A child that exits on its own is started again at the next
 * change. The engine of the `metro-dev` bin.
 *
 * @example
 * ```ts
 * const runner = createReloadingRunner({ command: [process.execPath, 'dist/main.js'], watch: ['dist'] });
 * process.once('SIGINT', () => void runner.stop());
 * ```
 */
export function createReloadingRunner(options: ReloadingRunnerOptions): ReloadingRunner {
  const log = options.log ?? ((line: string) => process.stderr.write(`[metro-dev] ${line}\n`));
  const graceMs = options.graceMs ?? 15_000;
  const [command, ...args] = options.command;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let restarting: Promise<void> = Promise.resolve();

  const start = (): void => {
    const started = spawn(command, args, { stdio: 'inherit' });
    child = started;
    exited = new Promise((resolve) => {
      started.once('exit', (code, signal) => {
        if (child === started) child = undefined;
        if (stopping === undefined) log(`exited (${signal ?? `code ${String(code)}`}); waiting for a change`);
        resolve();
      });
      started.once('error', (err) => {
        log(`could not start ${command}: ${err.message}`);
        resolve();
      });
    });
  };

  const stopChild = async (waitFirstMs = 0): Promise<void> => {
    if (waitFirstMs > 0 && child !== undefined) {
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (waited = setTimeout(r, waitFirstMs)))]);
      clearTimeout(waited);
    }
    const running = child;
    if (running === undefined) return exited;
    running.kill('SIGTERM');
    const killer = setTimeout(() => {
      log(`still running ${graceMs} ms after SIGTERM; killing it`);
      running.kill('SIGKILL');
    }, graceMs);
    await exited;
    clearTimeout(killer);
  };

  const onChange = (file: string | null): void => {
    if (stopping !== undefined || (file !== null && IGNORED.test(file))) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      restarting = restarting.then(async () => {
        if (stopping !== undefined) return;
        log(`${file ?? 'a file'} changed; restarting`);
        await stopChild();
        if (stopping !== undefined) return;
        restarts++;
        start();
      });
    }, options.debounceMs ?? 150);
  };

  const watchers: FSWatcher[] = options.watch.map((dir) => watch(dir, { recursive: true }, (_event, file) => onChange(file)));
  start();
  return {
    get restarts() {
      return restarts;
    },
    stop(stopOptions = {}) {
      stopping ??= (async () => {
        clearTimeout(timer);
        for (const w of watchers) w.close();
        await restarting;
        await stopChild(stopOptions.signalled === true ? 1000 : 0);
      })();
      return stopping;
    },
  };
}
