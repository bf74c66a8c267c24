#!/usr/bin/env node
// Runs every workspace's tests through turbo (one package at a time: each package's vitest runs
// its files in parallel already, and the machine has 2 cores), keeps going past a failing package
// so the whole picture is printed, then prints the one closing summary line. Lint runs first.
import { spawnSync } from 'node:child_process';

const started = Date.now();
// Lint and format first (ESLint with type-aware rules, Prettier --check): a failure fails the run,
// but the tests still run so the whole picture is printed.
const lint = spawnSync('pnpm', ['lint'], { stdio: 'inherit' });
console.log(`lint and format: ${lint.status === 0 ? 'passed' : 'FAILED (run `pnpm lint`; `pnpm format` fixes formatting)'}`);
const turbo = spawnSync('pnpm', ['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, METRO_TEST_STARTED_AT: String(started) },
});
console.log(`tests ran for ${((Date.now() - started) / 1000).toFixed(0)} s`);
const summary = spawnSync('node', [new URL('./test-summary.mjs', import.meta.url).pathname], {
  stdio: 'inherit',
  env: { ...process.env, METRO_TEST_STARTED_AT: String(started) },
});
process.exit(turbo.status !== 0 ? turbo.status || 1 : lint.status !== 0 ? 1 : (summary.status ?? 1));
