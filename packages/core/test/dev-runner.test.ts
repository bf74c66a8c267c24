import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDevArgs } from '../src/dev/dev-args.js';
import { createReloadingRunner } from '../src/index.js';

// The service lives inside this package so that `@metro/core` (its built dist) and zod resolve.
const dir = fileURLToPath(new URL(`./.dev-runner-${randomBytes(4).toString('hex')}/`, import.meta.url));
const bin = fileURLToPath(new URL('../dist/dev/metro-dev.js', import.meta.url));

const MAIN = `
import { createInterface } from 'node:readline';
import { createMetro, defineEvent, InMemoryTransport, registerConsumers, silentLogger, stopOnSignals } from '@metro/core';
import { z } from 'zod';
import { consumers } from './handler.mjs';
export const Ping = defineEvent({ topic: 'dev', type: 'ping', schema: z.object({ n: z.number() }) });
const metro = createMetro({ service: 'dev', transport: new InMemoryTransport({ logger: silentLogger }), logger: silentLogger });
registerConsumers(metro, [consumers(Ping)]);
await metro.start();
stopOnSignals([{ stop: async () => { await metro.stop(); console.log('STOPPED'); } }], { logger: silentLogger });
createInterface({ input: process.stdin }).on('line', (line) => {
  console.log('got ' + line);
  void metro.publish(Ping, { n: Number(line) });
});
console.log('READY');
`;

const handler = (version: string, ms: number): string => `
import { defineConsumers } from '@metro/core';
export const consumers = (Ping) => defineConsumers((metro) => {
  metro.on(Ping, async ({ n }) => {
    await new Promise((r) => setTimeout(r, ${ms}));
    console.log('${version} handled ' + n);
  });
});
`;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error('Build @metro/core first (pnpm --filter @metro/core build): this test runs its metro-dev bin.');
  await mkdir(dir, { recursive: true });
  await writeFile(`${dir}main.mjs`, MAIN);
  await writeFile(`${dir}handler.mjs`, handler('v1', 400));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('metro-dev: runs a service and restarts it on a code change, stopping it gracefully in between', () => {
  it('a changed handler file takes effect after a graceful restart (in-flight work finished first); SIGTERM stops everything', async () => {
    const runner = spawn(process.execPath, [bin, '--watch', dir, '--grace', '8000', `${dir}main.mjs`], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let buffered = '';
    runner.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
    });
    runner.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
    const count = (line: string): number => lines.filter((l) => l === line).length;
    try {
      await expect.poll(() => count('READY'), { timeout: 15_000 }).toBe(1);
      runner.stdin.write('1\n');
      await expect.poll(() => lines.includes('v1 handled 1'), { timeout: 10_000 }).toBe(true);

      runner.stdin.write('2\n');
      await expect.poll(() => lines.includes('got 2'), { timeout: 10_000 }).toBe(true);
      await writeFile(`${dir}handler.mjs`, handler('v2', 0)); // while message 2 is still being handled (400 ms)
      await expect.poll(() => count('READY'), { timeout: 20_000 }).toBe(2);
      runner.stdin.write('3\n');
      await expect.poll(() => lines.includes('v2 handled 3'), { timeout: 10_000 }).toBe(true);
      // The old process finished message 2 with the old code, then stopped, before the new one started.
      const order = ['v1 handled 2', 'STOPPED', 'READY'].map((l) => lines.indexOf(l, lines.indexOf('got 2')));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order.every((i) => i >= 0)).toBe(true);
      expect(stderr).toMatch(/handler\.mjs changed; restarting/);
    } finally {
      runner.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(count('STOPPED')).toBe(2);
  }, 60_000);

  it('a child that ignores SIGTERM is killed after the grace; one that exited on its own starts again at the next change', async () => {
    const base = await mkdtemp(join(tmpdir(), 'metro-dev-faults-'));
    const watched = join(base, 'watched');
    await mkdir(watched);
    const log = join(base, 'log'); // outside the watched directory
    await writeFile(join(watched, 'mode.txt'), 'crash');
    // Logs its mode; 'crash' exits at once (code 3), 'stubborn' ignores SIGTERM and keeps running.
    const child = `const fs = require('fs');
const mode = fs.readFileSync(${JSON.stringify(join(watched, 'mode.txt'))}, 'utf8');
fs.appendFileSync(${JSON.stringify(log)}, 'start ' + mode + '\\n');
if (mode === 'crash') process.exit(3);
process.on('SIGTERM', () => fs.appendFileSync(${JSON.stringify(log)}, 'ignored SIGTERM\\n'));
setInterval(() => {}, 1000);`;
    const said: string[] = [];
    const runner = createReloadingRunner({
      command: [process.execPath, '-e', child],
      watch: [watched],
      graceMs: 300,
      debounceMs: 50,
      log: (line) => said.push(line),
    });
    const lines = async (): Promise<string[]> => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    try {
      await expect.poll(() => said.some((l) => l.startsWith('exited (code 3)')), { timeout: 10_000 }).toBe(true);
      await writeFile(join(watched, 'mode.txt'), 'stubborn');
      await expect.poll(lines, { timeout: 10_000 }).toEqual(['start crash', 'start stubborn']);
      await writeFile(join(watched, 'other.txt'), 'a change');
      await expect.poll(lines, { timeout: 10_000 }).toEqual(['start crash', 'start stubborn', 'ignored SIGTERM', 'start stubborn']);
      expect(said).toContain('still running 300 ms after SIGTERM; killing it');
      expect(runner.restarts).toBe(2);
      const started = Date.now();
      await runner.stop();
      expect(Date.now() - started).toBeLessThan(5000); // SIGTERM ignored, SIGKILL after the 300 ms grace
      expect((await lines()).at(-1)).toBe('ignored SIGTERM');
    } finally {
      await runner.stop();
      await rm(base, { recursive: true, force: true });
    }
  }, 60_000);

  it('parses its command line: a script (watching its directory) or any command after --, and refuses unknown options', () => {
    expect(parseDevArgs(['dist/main.js', '--flag'])).toMatchObject({
      command: [process.execPath, 'dist/main.js', '--flag'],
      watch: [expect.stringMatching(/dist$/)],
    });
    expect(parseDevArgs(['--watch', 'src', '--grace', '500', '--', 'pnpm', 'start'])).toMatchObject({ command: ['pnpm', 'start'], graceMs: 500 });
    expect(parseDevArgs(['--bogus', 'x.js'])).toBeUndefined();
    expect(parseDevArgs([])).toBeUndefined();
  });
});
