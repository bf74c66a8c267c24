import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';

/**
 * Runs `work` while one child process per CPU spins in a busy loop at normal priority: the
 * throughput a service keeps when its cores are busy with anything else. The children are killed
 * when `work` settles.
 */
export async function withBusyCpus<T>(work: () => Promise<T>, count = cpus().length): Promise<T> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) children.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  try {
    return await work();
  } finally {
    for (const child of children) child.kill('SIGKILL');
  }
}
