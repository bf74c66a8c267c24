/** One registered deadline; pass it to {@link InMemoryDeadlines.cancel}. */
export interface Deadline<T> {
  readonly item: T;
  /** `performance.now()` at which it expires. */
  readonly at: number;
  readonly lane: DeadlineLane<T>;
  /** Cancelled, or expired. */
  done: boolean;
}

/** The deadlines of one duration: due in the order they were added, so one timer serves them all. */
interface DeadlineLane<T> {
  readonly ms: number;
  entries: Array<Deadline<T> | undefined>;
  head: number;
  /** Entries neither expired nor cancelled. */
  live: number;
  /** Armed for the entry at `head`; kept (unref'd) while the lane has nothing live, so the next wait reuses it. */
  timer: NodeJS.Timeout | undefined;
}

/** The longest delay `setTimeout` takes (a longer one would fire after 1 ms); later deadlines re-arm. */
const MAX_TIMER_MS = 0x7fffffff;

/** Lanes kept with nothing live in them (beyond this, an emptied lane stops its timer at once). */
const IDLE_LANES = 16;

/**
 * Many timeouts with few distinct durations (a request's `timeoutMs`), at one timer per duration
 * instead of one `setTimeout` + `clearTimeout` per wait: deadlines of one duration fall due in the
 * order they were added, so a lane's timer is armed for its oldest live one only. Cancelling is
 * O(1) (the entry is marked, and dropped once it reaches the front). A lane with nothing live does
 * not keep the process alive (its timer is unref'd), and `clear()` stops every timer.
 *
 * @example
 * ```ts
 * const deadlines = new InMemoryDeadlines<string>((id) => console.log(`${id} timed out`));
 * const d = deadlines.add('req-1', 5000);
 * deadlines.cancel(d); // the reply came first
 * deadlines.clear();   // on close
 * ```
 */
export class InMemoryDeadlines<T> {
  private readonly lanes = new Map<number, DeadlineLane<T>>();

  constructor(private readonly expire: (item: T) => void) {}

  /** Calls `expire(item)` no sooner than `ms` from now, unless cancelled first. */
  add(item: T, ms: number): Deadline<T> {
    let lane = this.lanes.get(ms);
    if (lane === undefined) {
      lane = { ms, entries: [], head: 0, live: 0, timer: undefined };
      this.lanes.set(ms, lane);
    }
    const deadline: Deadline<T> = { item, at: performance.now() + ms, lane, done: false };
    lane.entries.push(deadline);
    if (lane.live++ === 0) lane.timer?.ref();
    if (lane.timer === undefined) this.arm(lane, ms);
    return deadline;
  }

  /** Forgets a deadline; a no-op once it expired or was cancelled. */
  cancel(deadline: Deadline<T>): void {
    if (deadline.done) return;
    deadline.done = true;
    const lane = deadline.lane;
    lane.live--;
    dropDoneHeads(lane);
    if (lane.live > 0) {
      // A long wait at the front keeps the cancelled ones behind it: compact now and then.
      if (lane.entries.length - lane.head > 2 * lane.live + 1024) {
        lane.entries = lane.entries.filter((e) => e !== undefined && !e.done);
        lane.head = 0;
      }
    } else if (this.lanes.size > IDLE_LANES) {
      this.removeLane(lane);
    } else {
      lane.timer?.unref();
    }
  }

  /** Stops every timer and forgets every deadline (none expires). */
  clear(): void {
    for (const lane of this.lanes.values()) if (lane.timer !== undefined) clearTimeout(lane.timer);
    this.lanes.clear();
  }

  private arm(lane: DeadlineLane<T>, ms: number): void {
    lane.timer = setTimeout(() => this.fire(lane), Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(ms))));
    if (lane.live === 0) lane.timer.unref();
  }

  private fire(lane: DeadlineLane<T>): void {
    const now = performance.now();
    for (;;) {
      dropDoneHeads(lane);
      const first = lane.entries[lane.head];
      if (first === undefined || first.at > now) break;
      lane.entries[lane.head++] = undefined;
      first.done = true;
      lane.live--;
      this.expire(first.item); // may add to this lane: the spent timer in lane.timer keeps add() from arming another
    }
    lane.timer = undefined;
    const next = lane.entries[lane.head];
    if (next !== undefined) this.arm(lane, next.at - now);
    else this.removeLane(lane);
  }

  private removeLane(lane: DeadlineLane<T>): void {
    if (lane.timer !== undefined) clearTimeout(lane.timer);
    lane.timer = undefined;
    if (this.lanes.get(lane.ms) === lane) this.lanes.delete(lane.ms);
  }
}

/** Drops cancelled and expired entries from the front of a lane (and the array slots before `head`). */
function dropDoneHeads<T>(lane: DeadlineLane<T>): void {
  const { entries } = lane;
  while (lane.head < entries.length && entries[lane.head]!.done) entries[lane.head++] = undefined;
  if (lane.head === entries.length) {
    entries.length = 0;
    lane.head = 0;
  } else if (lane.head > 1024 && lane.head * 2 > entries.length) {
    lane.entries = entries.slice(lane.head);
    lane.head = 0;
  }
}
