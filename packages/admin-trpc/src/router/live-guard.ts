import { TRPCError } from '@trpc/server';
import { can } from '../auth/roles.js';
import { principalOf, type AdminContext } from '../trpc.js';

/**
 * Runs a live subscription under the WebSocket's rules: refused with `TOO_MANY_REQUESTS` past the
 * socket's subscription cap, and ended with `UNAUTHORIZED` within `recheckMs` once the authorizer
 * stops accepting its principal (a revoked token, an expired JWT) or the principal loses `read`.
 * `source` must stop when its signal aborts. Over HTTP or a server-side caller it just runs.
 */
export function guardedLive<T>(
  ctx: AdminContext,
  path: string,
  signal: AbortSignal | undefined,
  source: (signal: AbortSignal) => AsyncIterable<T>,
): AsyncIterable<T> {
  const live = ctx.caller.live;
  if (live && live.active >= live.maxSubscriptions) {
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: `At most ${live.maxSubscriptions} subscriptions per WebSocket: stop one before starting ${path}.`,
    });
  }
  if (live) live.active++;
  let released = false;
  const release = () => {
    if (!released && live) live.active--;
    released = true;
  };
  const inner = new AbortController();
  const stop = () => inner.abort();
  if (signal?.aborted) stop();
  signal?.addEventListener('abort', stop, { once: true });
  let revoked = false;
  let checking = false;
  const check = async () => {
    if (checking) return;
    checking = true;
    try {
      const principal = await principalOf(ctx, path, 'subscription').catch(() => null);
      if (principal === null || !can(principal, 'read')) {
        revoked = true;
        if (ctx.caller.transport === 'ws') {
          await ctx.audit.record({
            kind: 'sign-in',
            principal: null,
            clientAddress: ctx.caller.clientAddress,
            transport: 'ws',
            procedure: path,
            outcome: 'refused',
          });
        }
        stop();
      }
    } finally {
      checking = false;
    }
  };
  const timer = live ? setInterval(() => void check(), live.recheckMs) : undefined;
  timer?.unref?.();
  async function* run(): AsyncGenerator<T> {
    try {
      for await (const value of source(inner.signal)) {
        if (inner.signal.aborted) break;
        yield value;
      }
    } finally {
      clearInterval(timer);
      signal?.removeEventListener('abort', stop);
      release();
    }
    if (revoked)
      throw new TRPCError({ code: 'UNAUTHORIZED', message: `${path} ended: the admin token is no longer valid (revoked or expired). Sign in again.` });
  }
  const generator = run();
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => generator.next(),
      // An iterator disposed before it started never runs its finally: release here too.
      return: async (value?: unknown) => {
        clearInterval(timer);
        release();
        return generator.return(value as T);
      },
    }),
  };
}
