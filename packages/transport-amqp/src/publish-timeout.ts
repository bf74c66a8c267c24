import { PublishError } from '@metro/core';

/** The `PublishError` of a publish that ran out of `publishTimeoutMs` in `phase`. */
export function publishTimeoutError(phase: string, describe: string | undefined, timeoutMs: number): PublishError {
  return new PublishError(
    `Publish${describe ? ` to ${describe}` : ''} did not complete within ${timeoutMs} ms (${phase}). Check the broker connection, or raise publishTimeoutMs.`,
    { details: { timeoutMs, phase } },
  );
}

/** `promise`, or `onTimeout()` as a rejection once `deadline` (epoch ms) passes. */
export async function withDeadline<T>(promise: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), Math.max(1, deadline - Date.now()));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
