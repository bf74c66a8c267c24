// Runs docs/getting-started.md as written, from the packed tarballs: the page's shell block sets
// the project up (its `npm install @metro/...` installs the tarballs instead of the registry's
// packages), its `js title="..."` blocks are the files, and its `terminal` blocks are the two
// processes, started in both orders on a fresh RabbitMQ virtual host each. The page and the test
// cannot drift: change the page and this runs the new code.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { codeBlocks } from './support/markdown-blocks.js';
import { plainEnv } from './support/plain-env.js';
import { run } from './support/scratch-project.js';

const page = fileURLToPath(new URL('../../../docs/getting-started.md', import.meta.url));
const AMQP_URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const packed = inject('packed');
const blocks = codeBlocks(readFileSync(page, 'utf8'));

/** The page's set-up block: the first `sh` block without a title. */
const setup = blocks.find((b) => b.lang === 'sh' && b.title === undefined);
/** The files the page creates. */
const files = blocks.filter((b) => b.lang === 'js' && b.title !== undefined);
/** The commands of the page's terminals, by title. */
const terminals = Object.fromEntries(blocks.filter((b) => b.lang === 'sh' && b.title?.startsWith('terminal')).map((b) => [b.title!, b.code.trim()]));

/** The set-up block with each `@metro/<name>` it installs pointing at that package's tarball. */
function withTarballs(script: string): string {
  return script.replace(/(?<=\s)@metro\/[a-z-]+(?=\s|$)/gm, (name) => {
    const tarball = packed.find((p) => p.name === name);
    if (tarball === undefined) throw new Error(`the page installs ${name}, which is not a published package`);
    return tarball.file;
  });
}

/** A RabbitMQ virtual host of its own (the page's names, `orders` and `billing`, are common ones). */
async function createVhost(): Promise<{ url: string; remove: () => Promise<void> }> {
  const name = `metro-getting-started-${randomBytes(4).toString('hex')}`;
  await run('rabbitmqctl', ['add_vhost', name], { timeout: 60_000 }).catch((error: Error) => {
    throw new Error(
      `could not create a RabbitMQ virtual host with rabbitmqctl (the page's services run on one of their own; run the tests where the RabbitMQ on :5672 is local): ${error.message}`,
    );
  });
  await run('rabbitmqctl', ['set_permissions', '-p', name, 'guest', '.*', '.*', '.*'], { timeout: 60_000 });
  const url = new URL(AMQP_URL);
  url.pathname = `/${encodeURIComponent(name)}`;
  return { url: url.toString(), remove: () => run('rabbitmqctl', ['delete_vhost', name], { timeout: 60_000 }).then(() => undefined) };
}

/** One of the page's terminals: a process started with the block's command, its output collected. */
class Terminal {
  readonly stdout: string[] = [];
  stderr = '';
  private readonly process: ChildProcess;
  private readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly title: string,
    cwd: string,
    amqpUrl: string,
  ) {
    const [command, ...args] = terminals[title]!.split(/\s+/);
    // A user's shell: no METRO_LOG_LEVEL from the test config, so the default logger's warnings show.
    const env = plainEnv({ METRO_AMQP_URL: amqpUrl });
    delete env['METRO_LOG_LEVEL'];
    this.process = spawn(command!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      this.stdout.push(...lines);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.process.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) =>
      this.process.once('exit', (code) => {
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
      }),
    );
  }

  /** Waits until a line of stdout matches, and returns its match. */
  async line(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ;) {
      for (; seen < this.stdout.length; seen++) {
        const match = pattern.exec(this.stdout[seen]!);
        if (match) return match;
      }
      if (this.process.exitCode !== null) throw new Error(`${this.title} exited (${this.process.exitCode}) before printing ${pattern}:\n${this.transcript()}`);
      if (Date.now() > deadline) throw new Error(`${this.title} printed no ${pattern} within ${timeoutMs} ms:\n${this.transcript()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Ctrl-C: SIGINT, then the exit code. */
  async interrupt(): Promise<number | null> {
    if (this.process.exitCode === null) this.process.kill('SIGINT');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 20_000).unref());
    const code = await Promise.race([this.exited, timeout]);
    if (code === 'timeout') {
      this.process.kill('SIGKILL');
      throw new Error(`${this.title} did not stop within 20 s of SIGINT:\n${this.transcript()}`);
    }
    return code;
  }

  transcript(): string {
    return `--- stdout\n${this.stdout.join('\n')}\n--- stderr\n${this.stderr}`;
  }
}

let project: string;
const vhosts: Array<() => Promise<void>> = [];
const running: Terminal[] = [];

beforeAll(async () => {
  const parent = mkdtempSync(join(tmpdir(), 'metro-getting-started-'));
  await run('bash', ['-euo', 'pipefail', '-c', withTarballs(setup!.code)], { cwd: parent, env: plainEnv(), timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
  const made = readdirSync(parent);
  expect(made, 'the set-up block makes one project folder').toHaveLength(1);
  project = join(parent, made[0]!);
  for (const file of files) writeFileSync(join(project, file.title!), file.code);
}, 300_000);

afterAll(async () => {
  for (const terminal of running) await terminal.interrupt().catch(() => undefined);
  for (const remove of vhosts) await remove().catch(() => undefined);
  if (project) rmSync(join(project, '..'), { recursive: true, force: true });
});

async function start(title: string, amqpUrl: string): Promise<Terminal> {
  const terminal = new Terminal(title, project, amqpUrl);
  running.push(terminal);
  return terminal;
}

describe('docs/getting-started.md', () => {
  it('has the blocks the test runs: a set-up block, the files the terminals run, two terminals', () => {
    expect(setup?.code).toMatch(/npm install .*@metro\/core .*@metro\/transport-amqp/);
    expect(files.map((f) => f.title).sort()).toEqual(['billing.js', 'messages.js', 'orders.js']);
    // A block's title does not show on GitHub: the prose names each file too.
    for (const file of files) expect(readFileSync(page, 'utf8')).toContain(`Save it as \`${file.title!}\`:`);
    expect(terminals).toEqual({ 'terminal 1': 'node billing.js', 'terminal 2': 'node orders.js' });
  });

  it('installs @metro/core and @metro/transport-amqp from the tarballs with the page’s npm commands', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { type?: string; dependencies: Record<string, string> };
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['@metro/core', '@metro/transport-amqp', 'zod']);
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
    for (const name of ['@metro/core', '@metro/transport-amqp']) {
      expect(lock.packages[`node_modules/${name}`]?.resolved, name).toMatch(/^file:.*\.tgz$/);
    }
  });

  it('billing first, then orders: every order is charged and marked paid, also those placed while billing restarts', async () => {
    const vhost = await createVhost();
    vhosts.push(vhost.remove);
    const billing = await start('terminal 1', vhost.url);
    await billing.line(/^billing: started$/);
    const orders = await start('terminal 2', vhost.url);
    await orders.line(/^orders: order-1 paid \(payment-order-1\)$/);
    await billing.line(/^billing: charged 10 for order-1$/);

    // Ctrl-C billing; orders keeps placing orders; billing starts again and charges them.
    expect(await billing.interrupt()).toBe(0);
    expect(billing.stdout).toContain('billing: stopped');
    const before = Number((await orders.line(/^orders: placed order-(\d+)$/))[1]);
    const last = before + 2;
    await orders.line(new RegExp(`^orders: placed order-${last}$`));
    const again = await start('terminal 1', vhost.url);
    await again.line(/^billing: started$/);
    // Every order placed so far, before, during and after billing's restart, is paid exactly once.
    for (let n = 1; n <= last; n++) await orders.line(new RegExp(`^orders: order-${n} paid \\(payment-order-${n}\\)$`));
    await again.line(new RegExp(`^billing: charged ${10 * last} for order-${last}$`));
    const paid = orders.stdout.filter((l) => / paid /.test(l));
    expect(new Set(paid).size, 'no order paid twice').toBe(paid.length);

    expect(await orders.interrupt()).toBe(0);
    expect(await again.interrupt()).toBe(0);
    expect(orders.stdout).toContain('orders: stopped');
    expect(orders.stdout.filter((l) => l.includes('could not place'))).toEqual([]);
    // Billing was up before the first order: no event went to a topic nobody subscribed to.
    expect(orders.stderr).not.toMatch(/no queue/);
  });

  it('orders first, then billing: the orders placed before billing started are accepted (and logged), the next ones are charged and marked paid', async () => {
    const vhost = await createVhost();
    vhosts.push(vhost.remove);
    const orders = await start('terminal 2', vhost.url);
    await orders.line(/^orders: started$/);
    await orders.line(/^orders: placed order-1$/);
    const billing = await start('terminal 1', vhost.url);
    await billing.line(/^billing: started$/);
    const paid = await orders.line(/^orders: (order-\d+) paid \(payment-(order-\d+)\)$/);
    expect(paid[1]).toBe(paid[2]);
    await billing.line(new RegExp(`^billing: charged \\d+ for ${paid[1]}$`));

    expect(await orders.interrupt()).toBe(0);
    expect(await billing.interrupt()).toBe(0);
    expect(orders.stdout.filter((l) => l.includes('could not place'))).toEqual([]);
    // order-1 went to a topic nobody subscribed to yet: accepted, and the default logger said so on stderr.
    expect(orders.stderr).toMatch(/no queue/);
  });
});
