/**
 * Runs async steps one after the other, in call order; a step that fails does not stop the next.
 * For `start()` / `stop()` pairs of long-running workers: without it, a `start()` made while a
 * `stop()` waits for the worker's loops revives those loops, and nothing can stop them any more.
 *
 * @example
 * ```ts
 * const steps = new SerialSteps();
 * return { start: () => steps.run(start), stop: () => steps.run(stop) };
 * ```
 */
export class SerialSteps {
  private tail: Promise<void> = Promise.resolve();

  /** Runs `step` once every step queued before it has settled; settles as `step` does. */
  run(step: () => Promise<void>): Promise<void> {
    const next = this.tail.then(step, step);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
