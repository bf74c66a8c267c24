/** Turns pushed values into an async iterable that ends when `signal` aborts (for subscriptions). */
export async function* drain<T>(
  subscribe: (push: (value: T) => void) => Promise<() => void>,
  signal: AbortSignal | undefined,
  maxBuffered = 1000,
): AsyncGenerator<T> {
  const buffer: T[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = await subscribe((value) => {
    if (buffer.length >= maxBuffered) buffer.shift();
    buffer.push(value);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      if (buffer.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      yield buffer.shift()!;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
