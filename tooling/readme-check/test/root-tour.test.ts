import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { AmqpTransport } from '@metro/transport-amqp';
import { extractBlocks } from '../src/extract.js';

// The root README's first tour block runs as written, on the real RabbitMQ: the sms service in the
// same process gets the SendSms that billing's handler sends, and says so on stdout.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = fileURLToPath(new URL('../.scratch-tour', import.meta.url));

afterAll(async () => {
  // The tour declares the queues of its two services; leave the broker as it was.
  const transport = new AmqpTransport({ url: process.env.METRO_AMQP_URL });
  try {
    await transport.start();
    await transport.deleteQueue('billing');
    await transport.deleteQueue('sms');
  } finally {
    await transport.close();
  }
});

test('README.md tour: events and commands on RabbitMQ prints what the sms service got', async () => {
  const tour = extractBlocks('README.md', readFileSync(join(root, 'README.md'), 'utf8')).find((b) => b.code.includes('sms.handle(SendSms'));
  expect(tour, 'the tour block with an sms service').toBeDefined();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tour.ts'), `${tour?.code ?? ''}\nexport {};\n`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, types: ['node'], outDir: 'out' },
      include: ['tour.ts'],
    }),
  );
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  expect(build.stdout).toBe('');
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(dir, 'out', 'tour.js')], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
  expect(run, run.stderr).toMatchObject({ code: 0 });
  expect(run.stdout).toMatch(/^sms to \+44 20 7946 0001: order 1 paid \(correlation [0-9a-f-]{36}\)$/m);
}, 120_000);
