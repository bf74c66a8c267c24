#!/usr/bin/env node
import { parseDevArgs } from './dev-args.js';
import { createReloadingRunner } from './reloading-runner.js';

const USAGE = `usage: metro-dev [--watch <dir>]... [--grace <ms>] <script.js> [args...]
       metro-dev [--watch <dir>]... [--grace <ms>] -- <command> [args...]

Runs a service (its consumers and relay) and restarts it when a file under a watched directory
changes (default: the script's directory, or the current one), stopping it with SIGTERM first.
The service stops gracefully with stopOnSignals([metro, relay]) from @metro/core.`;

const parsed = parseDevArgs(process.argv.slice(2));
if (parsed === undefined) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const runner = createReloadingRunner(parsed);
const stop = (signalled: boolean) => (): void => {
  void runner.stop({ signalled }).then(() => process.exit(0));
};
process.once('SIGINT', stop(true));
process.once('SIGTERM', stop(false));
