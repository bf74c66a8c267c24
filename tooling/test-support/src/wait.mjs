// Waiting in tests: poll a condition instead of sleeping a fixed time.

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` every `intervalMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(predicate, timeoutMs = 10_000, what = 'condition', intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
