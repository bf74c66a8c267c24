import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../tooling/rabbitmq-cluster/cluster.sh', import.meta.url));

/** The AMQP URLs of the local 3-node cluster (tooling/rabbitmq-cluster/cluster.sh). */
export const CLUSTER_URLS = [1, 2, 3].map((n) => `amqp://guest:guest@127.0.0.1:${5680 + n}`);

/** Starts the cluster (idempotent; about 20 s from nothing). Needs root or the rabbitmq user. */
export async function startCluster(): Promise<void> {
  try {
    await run(script, ['start'], { timeout: 180_000 });
  } catch (err) {
    throw new Error(`Could not start the local RabbitMQ cluster (${script} start, as root or the rabbitmq user): ${(err as Error).message}`, { cause: err });
  }
}

/** Stops the cluster and removes its data. */
export async function stopCluster(): Promise<void> {
  await run(script, ['stop'], { timeout: 120_000 });
}

/** `rabbitmqctl -n cN@localhost <args>` for the node behind `url`, as the rabbitmq user. */
export async function nodeCtl(url: string, ...args: string[]): Promise<void> {
  const n = Number(new URL(url).port) - 5680;
  const ctl = ['env', 'HOME=/var/lib/rabbitmq', '/usr/lib/rabbitmq/bin/rabbitmqctl', '-q', '-n', `c${n}@localhost`, ...args];
  const command = process.getuid?.() === 0 ? ['runuser', '-u', 'rabbitmq', '--', ...ctl] : ctl;
  await run(command[0]!, command.slice(1), { timeout: 120_000 });
}
