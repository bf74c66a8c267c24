// One side of a comparison in a process of its own, its rounds run on the parent's word: the
// parent alternates the two sides' rounds in time (so a drift of the machine falls on both), and
// neither side runs on the other's heap, JIT feedback or async hooks. In one process the sides
// paid for each other: raw amqplib's minor GC per 20,000-message round went from ~55 ms alone to
// 70-136 ms next to Metro (42-80 alone), whose AsyncLocalStorage also put async hooks on raw's callbacks.
import { fork, type ChildProcess } from 'node:child_process';
import type { RunFigures } from './run-figures.js';

/** What a side's process sends back: ready, a round's figures, closed, or why it failed. */
type SideReply = { readonly ready: true } | { readonly figures: RunFigures } | { readonly closed: true } | { readonly error: string };

/** A side running in a child process (see {@link sideProcess}). */
export interface SideProcess<R> {
  /** Runs one timed round in the child; `request` says which kind of round. */
  round(request: R): Promise<RunFigures>;
  /** Closes the side (its queues and connections) and waits for the child to exit. */
  close(): Promise<void>;
}

/**
 * Forks `file` (a module that calls {@link serveSide}) with `args` (and `env` added to this
 * process's environment) and resolves once its side is set up.
 *
 * @example
 * ```ts
 * const metro = await sideProcess<boolean>(fileURLToPath(new URL('./e2e-side.ts', import.meta.url)), ['metro', topic]);
 * const figures = await metro.round(false);
 * ```
 */
export async function sideProcess<R>(file: string, args: string[], env: Record<string, string> = {}): Promise<SideProcess<R>> {
  const child: ChildProcess = fork(file, args, { execArgv: ['--import', 'tsx'], serialization: 'advanced', env: { ...process.env, ...env } });
  const name = `side process ${args.join(' ')}`;
  let waiting: { resolve(reply: SideReply): void; reject(err: Error): void } | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      waiting?.reject(new Error(`${name} exited with ${code}`));
      waiting = undefined;
      resolve();
    }),
  );
  child.on('message', (reply: SideReply) => {
    const w = waiting;
    waiting = undefined;
    if ('error' in reply) w?.reject(new Error(`${name}: ${reply.error}`));
    else w?.resolve(reply);
  });
  const ask = (message: unknown): Promise<SideReply> => {
    if (exited) return Promise.reject(new Error(`${name} is gone`));
    const reply = new Promise<SideReply>((resolve, reject) => (waiting = { resolve, reject }));
    if (message !== undefined) child.send(message as object);
    return reply;
  };
  await ask(undefined);
  return {
    async round(request) {
      const reply = await ask({ round: request });
      if (!('figures' in reply)) throw new Error(`${name} answered a round without figures`);
      return reply.figures;
    },
    async close() {
      if (!exited) await ask({ close: true }).catch(() => undefined);
      await exit;
    },
  };
}

/** A side as its child process runs it. */
export interface ServedSide<R> {
  round(request: R): Promise<RunFigures>;
  close(): Promise<void>;
}

/**
 * The child's half of {@link sideProcess}: sets the side up, says so, runs each round the parent
 * asks for and sends back its figures; on `close`, closes the side and exits.
 */
export async function serveSide<R>(setUp: () => Promise<ServedSide<R>>): Promise<void> {
  const send = (reply: SideReply): Promise<void> => new Promise((resolve) => process.send!(reply, () => resolve()));
  const fail = (err: unknown): void => void send({ error: String((err as Error)?.stack ?? err) }).then(() => process.exit(1));
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  // the parent is gone (it failed, or was killed): nobody will ask for a round or a close
  process.on('disconnect', () => process.exit(1));
  const side = await setUp();
  process.on('message', (message: { round?: R; close?: true }) => {
    if (message.close) {
      side.close().then(() => send({ closed: true }).then(() => process.exit(0)), fail);
      return;
    }
    side.round(message.round as R).then((figures) => send({ figures }), fail);
  });
  await send({ ready: true });
}
