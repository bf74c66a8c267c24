/**
 * The timers of deliveries waiting in process for their rate limiter's slot, so that `stop()`
 * can end every wait at once instead of waiting them out.
 *
 * @example
 * ```ts
 * const waits = new HeldWaits();
 * if (!(await waits.sleep(250))) return requeue(); // released by stop()
 * ```
 */
export class HeldWaits {
  private readonly pending = new Map<NodeJS.Timeout, (completed: boolean) => void>();
  private released = false;

  /** Deliveries waiting now. */
  get size(): number {
    return this.pending.size;
  }

  /** True once {@link release} was called. */
  get isReleased(): boolean {
    return this.released;
  }

  /** Resolves true after `ms`, or false as soon as {@link release} is called (at once if it was). */
  sleep(ms: number): Promise<boolean> {
    if (this.released) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve(true);
      }, ms);
      this.pending.set(timer, resolve);
    });
  }

  /** Ends every wait (they resolve false), and every later one at once. Safe to call twice. */
  release(): void {
    this.released = true;
    for (const [timer, resolve] of this.pending) {
      clearTimeout(timer);
      resolve(false);
    }
    this.pending.clear();
  }
}
