// Runs the Python (pika) scripts of the interop tests with the system Python, where python3-pika is installed.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The system Python (python3-pika is a Debian package for it, not for a pyenv Python first on PATH). */
export const PYTHON = '/usr/bin/python3';

/** The absolute path of a script in this directory. */
export const script = (name: string): string => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** What a script printed and how it ended. */
export interface PythonRun {
  readonly code: number | null;
  readonly lines: string[];
  readonly stderr: string;
}

/** Runs `/usr/bin/python3 args...`, calling `onLine` for each stdout line as it comes; SIGKILLs it after `killAfterMs`. */
export function runPython(args: string[], onLine?: (line: string) => void, killAfterMs = 30_000): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let buffered = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        onLine?.(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines, stderr });
    });
  });
}

/** Starts a long-running script and resolves once it printed READY, with the promise of its end. */
export async function startPython(args: string[]): Promise<{ done: Promise<PythonRun> }> {
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  const done = runPython(args, (line) => line === 'READY' && ready());
  await Promise.race([isReady, done.then((run) => Promise.reject(new Error(`${args[0]} ended before READY: ${run.stderr}`)))]);
  return { done };
}
