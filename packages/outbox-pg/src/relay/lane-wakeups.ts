/**
 * How a relay's idle lanes are woken. A notification (a commit that wrote outbox rows) wakes one
 * sleeping lane, the one that went to sleep last; when every lane is busy it is owed to the next
 * lane that finishes its batch ({@link LaneWakeups.takeOwed}). A lane whose claim came back full
 * wakes one more ({@link LaneWakeups.spare}), so a backlog fans out over the lanes one claim at a
 * time, each claim starting after the rows the others hold (see `ClaimFloor`). Waking every lane
 * instead would make every lane claim once per commit.
 *
 * With per-aggregate ordering a claim also skips rows whose aggregate another lane's batch holds,
 * so a lane that finishes claims again when any notification came during its batch
 * ({@link LaneWakeups.mark} / {@link LaneWakeups.since}): the row the woken lane skipped may be its.
 *
 * A lane backing off after a failure {@link LaneWakeups.pause}s: notifications do not cut its
 * backoff short, only {@link LaneWakeups.all} (the relay stops) does.
 *
 * @example
 * ```ts
 * const wakeups = new LaneWakeups();
 * listen.listen(channel, () => wakeups.notify());
 * // in a lane, after a batch that came back short:
 * if (!wakeups.takeOwed()) await wakeups.sleep(pollMs);
 * ```
 */
export class LaneWakeups {
  /** Sleeping lanes' wake functions, the last to fall asleep last. */
  private readonly sleepers: (() => void)[] = [];
  private readonly paused = new Set<() => void>();
  private owed = 0;
  /** Notifications so far: a lane compares it before and after its batch ({@link LaneWakeups.since}). */
  private notified = 0;

  /**
   * Rows were committed: wakes one sleeping lane, or owes the wakeup to the next lane that
   * finishes. At most one is owed: one claim that starts after the latest notification covers the
   * earlier ones (a broker outage would otherwise owe an empty claim per commit).
   */
  notify(): void {
    this.notified++;
    const sleeper = this.sleepers.pop();
    if (sleeper) sleeper();
    else this.owed = 1;
  }

  /** A mark to pass to {@link LaneWakeups.since}. */
  mark(): number {
    return this.notified;
  }

  /** Whether a notification came after `mark`, whichever lane it woke. */
  since(mark: number): boolean {
    return this.notified !== mark;
  }

  /** A claim came back full: wakes one more sleeping lane, if any (busy lanes claim again anyway). */
  spare(): void {
    this.sleepers.pop()?.();
  }

  /** Wakes every sleeping and pausing lane (the relay stops). */
  all(): void {
    for (const wake of this.sleepers.splice(0)) wake();
    for (const wake of [...this.paused]) wake();
  }

  /** Takes one wakeup owed to a lane that was busy: `true` when the lane should claim instead of sleeping. */
  takeOwed(): boolean {
    if (this.owed === 0) return false;
    this.owed--;
    return true;
  }

  /** Sleeps up to `ms`; {@link LaneWakeups.notify}, {@link LaneWakeups.spare} or {@link LaneWakeups.all} end it sooner. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        const at = this.sleepers.indexOf(wake);
        if (at >= 0) this.sleepers.splice(at, 1);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.push(wake);
    });
  }

  /** Waits `ms` (a backoff); only {@link LaneWakeups.all} ends it sooner. */
  pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.paused.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.paused.add(wake);
    });
  }
}
