import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The type (`classic` / `quorum`) of each queue whose name starts with `prefix`, as the default
 * node reports it (`rabbitmqctl list_queues name type`: read-only, no management plugin needed).
 */
export async function queueTypes(prefix: string): Promise<Record<string, string>> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'type', '--formatter', 'json'], { timeout: 60_000 });
  const rows = JSON.parse(stdout) as Array<{ name: string; type: string }>;
  return Object.fromEntries(rows.filter((r) => r.name.startsWith(prefix)).map((r) => [r.name, r.type]));
}
