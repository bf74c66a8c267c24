import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AmqpTransport, type AmqpTransportOptions } from '@metro/transport-amqp';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../rabbitmq-cluster/cluster.sh', import.meta.url));

/** The AMQP URLs of the local 3-node cluster (tooling/rabbitmq-cluster/cluster.sh). */
export const CLUSTER_URLS = [1, 2, 3].map((n) => `amqp://guest:guest@127.0.0.1:${5680 + n}`);

/** The node that has a 5 s consumer timeout (cluster.sh gives c3 `consumer_timeout = 5000`). */
export const CONSUMER_TIMEOUT_NODE = CLUSTER_URLS[2]!;
export const CONSUMER_TIMEOUT_MS = 5000;

/** A logger that drops everything (the fault tests provoke warnings on purpose). */
export const quiet = { debug() {}, info() {}, warn() {}, error() {} };

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

/** `cN@localhost`, the Erlang node behind one of {@link CLUSTER_URLS}. */
export function nodeName(url: string): string {
  return `c${Number(new URL(url).port) - 5680}@localhost`;
}

/** The URL of node `cN@localhost`. */
export function nodeUrl(name: string): string {
  const url = CLUSTER_URLS[Number(/^c(\d)@/.exec(name)?.[1]) - 1];
  if (url === undefined) throw new Error(`${name} is not a node of the local cluster`);
  return url;
}

/** `rabbitmqctl -n cN@localhost <args>` for the node behind `url`, as the rabbitmq user; resolves with its output. */
export async function nodeCtl(url: string, ...args: string[]): Promise<string> {
  const ctl = ['env', 'HOME=/var/lib/rabbitmq', '/usr/lib/rabbitmq/bin/rabbitmqctl', '-q', '-n', nodeName(url), ...args];
  const command = process.getuid?.() === 0 ? ['runuser', '-u', 'rabbitmq', '--', ...ctl] : ctl;
  const { stdout } = await run(command[0]!, command.slice(1), { timeout: 120_000 });
  return stdout;
}

/** The URL of the node that leads quorum queue `queue`, asked of node `askUrl` (`rabbitmqctl list_queues name leader`). */
export async function quorumLeader(queue: string, askUrl: string = CLUSTER_URLS[0]!): Promise<string> {
  const rows = JSON.parse(await nodeCtl(askUrl, 'list_queues', 'name', 'leader', '--formatter', 'json')) as Array<{ name: string; leader: string }>;
  const row = rows.find((r) => r.name === queue);
  if (row === undefined) throw new Error(`queue ${queue} not found on the cluster`);
  return nodeUrl(row.leader);
}

const stopped = new Set<string>();

/** Stops the RabbitMQ application of a node (the Erlang VM stays); resolves when it is down. */
export async function stopNode(url: string): Promise<void> {
  stopped.add(url);
  await nodeCtl(url, 'stop_app');
}

/** Starts a node's RabbitMQ application again; resolves once it runs (`start_app` waits for that). */
export async function startNode(url: string): Promise<void> {
  await nodeCtl(url, 'start_app');
  stopped.delete(url);
}

/** Starts the nodes {@link stopNode} stopped and nothing started again (after a test, passed or failed). */
export async function restartStoppedNodes(): Promise<void> {
  for (const url of [...stopped]) await startNode(url);
}

/**
 * A started transport over the whole cluster whose `role` connection (or both) landed on `node`;
 * each connection picks its first node at random, so this tries until one does.
 */
export async function transportOn(node: string, role: 'publish' | 'consume' | 'both', options: AmqpTransportOptions = {}): Promise<AmqpTransport> {
  for (let i = 0; i < 100; i++) {
    const transport = new AmqpTransport({ urls: CLUSTER_URLS, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 }, logger: quiet, ...options });
    await transport.start();
    const at = transport.connectedUrlsForTesting();
    if ((role !== 'consume' && at.publish !== node) || (role !== 'publish' && at.consume !== node)) {
      await transport.close();
      continue;
    }
    return transport;
  }
  throw new Error(`no transport landed its ${role} connection on ${node} in 100 tries`);
}

/** Deletes queues on the cluster, whichever node is up. */
export async function deleteClusterQueues(...queues: string[]): Promise<void> {
  const cleanup = new AmqpTransport({ urls: CLUSTER_URLS, logger: quiet });
  for (const queue of queues) await cleanup.deleteQueue(queue).catch(() => undefined);
  await cleanup.close();
}
