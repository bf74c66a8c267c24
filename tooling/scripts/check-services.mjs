#!/usr/bin/env node
// Checks that RabbitMQ and PostgreSQL answer before the tests start, and says how to start them if
// not; and that the two Debian packages some tests drive are installed (Chromium for the dashboard's
// browser test, python3-pika for the Python interop test): installs them when running as root with
// apt-get (saying what and how long it took), and otherwise says how to install them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

const amqp = new URL(process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const pg = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');

const services = [
  { name: 'RabbitMQ', host: amqp.hostname, port: Number(amqp.port || 5672), start: 'rabbitmq-server -detached' },
  { name: 'PostgreSQL', host: pg.hostname, port: Number(pg.port || 5432), start: 'pg_ctlcluster --skip-systemctl-redirect 15 main start' },
];

function reachable({ host, port }) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Root with apt-get on PATH: the test command may install what is missing itself. */
function canInstallWithApt() {
  return process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
}

const down = [];
for (const s of services) if (!(await reachable(s))) down.push(s);
if (down.length > 0) {
  for (const s of down) {
    console.error(`${s.name} is not reachable at ${s.host}:${s.port}. Start it with:\n    ${s.start}`);
  }
  console.error('The tests run against the real services; start them and run `pnpm test` again.');
  process.exit(1);
}

const packages = [
  { name: 'chromium', present: () => existsSync('/usr/bin/chromium'), usedBy: 'the dashboard test in real Chromium (packages/admin-web)' },
  {
    name: 'python3-pika',
    present: () => spawnSync('/usr/bin/python3', ['-c', 'import pika'], { stdio: 'ignore' }).status === 0,
    usedBy: 'the Python interop test (apps/shop)',
  },
];
let missing = packages.filter((p) => !p.present());
if (missing.length > 0 && canInstallWithApt()) {
  const names = missing.map((p) => p.name);
  console.log(`installing Debian packages the tests need: ${names.join(', ')} (${missing.map((p) => p.usedBy).join('; ')})`);
  const began = Date.now();
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { stdio: ['ignore', 'ignore', 'inherit'], env })
      : update;
  const seconds = ((Date.now() - began) / 1000).toFixed(0);
  if (install.status === 0) console.log(`installed ${names.join(', ')} in ${seconds} s`);
  else console.error(`apt-get could not install ${names.join(', ')} (exit ${install.status}, after ${seconds} s)`);
  missing = packages.filter((p) => !p.present());
}
if (missing.length > 0) {
  for (const p of missing) console.error(`Debian package ${p.name} is missing; ${p.usedBy} needs it.`);
  console.error(
    `Install them as root with:\n    apt-get install -y --no-install-recommends ${missing.map((p) => p.name).join(' ')}\nthen run \`pnpm test\` again (as root, \`pnpm test\` installs them itself).`,
  );
  process.exit(1);
}
console.log(`services up: ${services.map((s) => `${s.name} ${s.host}:${s.port}`).join(', ')}`);
