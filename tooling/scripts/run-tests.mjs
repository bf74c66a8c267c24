#!/usr/bin/env node
// Runs every workspace's tests, keeps going past a failing package so the whole picture is
// printed, then prints the one closing summary line. Three lanes run side by side:
// - lint and format (ESLint with type-aware rules, Prettier --check): a failure fails the run;
// - the packages' tests through turbo, one package at a time (each package's vitest runs its files
//   in parallel already, and the machine has 2 cores);
// - the RabbitMQ cluster's fault tests (tooling/cluster-faults), once lint is done: they spend most
//   of their two minutes waiting on nodes that stop and start, on ports of their own, so they
//   overlap the rest instead of adding to it. The builds are done before (`pnpm test` runs
//   `turbo run build` first), so this lane runs the package's vitest straight, without turbo, and
//   the turbo lane runs the test tasks `--only` (no build task replayed from the cache, which would
//   rewrite dist files under the other lane's feet).
// Given arguments (e.g. `pnpm test:only --filter=@metro/core`), only the turbo lane runs, with them.
import { spawn } from 'node:child_process';

const CLUSTER_FAULTS = '@metro/cluster-faults';
const started = Date.now();
const env = { ...process.env, METRO_TEST_STARTED_AT: String(started) };
const passThrough = process.argv.slice(2);

/** Runs a command with inherited output; resolves with its exit status. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const lint = run('pnpm', ['lint']).then((status) => {
  console.log(`lint and format: ${status === 0 ? 'passed' : 'FAILED (run `pnpm lint`; `pnpm format` fixes formatting)'}`);
  return status;
});
const splitLanes = passThrough.length === 0;
const turbo = run('pnpm', [
  'exec',
  'turbo',
  'run',
  'test',
  '--concurrency=1',
  '--continue',
  ...(splitLanes ? ['--only', `--filter=!${CLUSTER_FAULTS}`] : passThrough),
]);
const clusterFaults = splitLanes ? lint.then(() => run('pnpm', ['--filter', CLUSTER_FAULTS, 'test'])) : Promise.resolve(0);

const [lintStatus, turboStatus, clusterStatus] = await Promise.all([lint, turbo, clusterFaults]);
console.log(`tests ran for ${((Date.now() - started) / 1000).toFixed(0)} s`);
const summary = await run('node', [new URL('./test-summary.mjs', import.meta.url).pathname]);
const testsFailed = turboStatus !== 0 || clusterStatus !== 0;
process.exit(testsFailed ? turboStatus || clusterStatus || 1 : lintStatus !== 0 ? 1 : summary);
