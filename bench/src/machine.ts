import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function tryCommand(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: 5000 });
    return stdout.trim().split('\n')[0] ?? '';
  } catch {
    return 'unknown';
  }
}

/** Versions of what the benchmarks ran on. */
export async function machineFacts(): Promise<Record<string, string>> {
  return {
    node: process.version,
    rabbitmq: await tryCommand('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server']),
    postgresql: await tryCommand('psql', ['--version']),
    'broker/db': 'local, 127.0.0.1, default settings, no plugins',
  };
}
