/**
 * The counts a fault test reports: messages attempted, confirmed by the broker, rejected with an
 * error, received (by message id, with how often), lost (confirmed, never received) and duplicated
 * (received more than once).
 */
export class Ledger {
  attempted = 0;
  rejected = 0;
  readonly confirmed = new Set<string>();
  readonly received = new Map<string, number>();
  /** When each message was first received (ms since the epoch), for recovery times. */
  private readonly receivedAt: number[] = [];

  /** Publishes `id` with `publish`, counting the outcome; never rejects. */
  async publish(id: string, publish: () => Promise<void>): Promise<void> {
    this.attempted++;
    try {
      await publish();
      this.confirmed.add(id);
    } catch {
      this.rejected++;
    }
  }

  /** A delivery of `id` was handled. */
  receive(id: string): void {
    const n = this.received.get(id) ?? 0;
    this.received.set(id, n + 1);
    if (n === 0) this.receivedAt.push(Date.now());
  }

  get lost(): number {
    let lost = 0;
    for (const id of this.confirmed) if (!this.received.has(id)) lost++;
    return lost;
  }

  get duplicated(): number {
    let dup = 0;
    for (const n of this.received.values()) if (n > 1) dup++;
    return dup;
  }

  /** True once every confirmed message was received. */
  allReceived(): boolean {
    for (const id of this.confirmed) if (!this.received.has(id)) return false;
    return true;
  }

  /** The first time a new message was received at or after `since` (undefined if none). */
  firstReceivedAfter(since: number): number | undefined {
    return this.receivedAt.find((t) => t >= since);
  }

  /** The longest pause between two consecutive first receipts at or after `since`, in ms (how long consumption stalled). */
  longestGapAfter(since: number): number {
    let gap = 0;
    let last = since;
    for (const t of this.receivedAt) {
      if (t < since) continue;
      gap = Math.max(gap, t - last);
      last = t;
    }
    return gap;
  }

  /** Prints (and returns) the one report line of a fault test. */
  report(name: string, extra: string): string {
    const line = `${name}: attempted=${this.attempted} confirmed=${this.confirmed.size} rejected=${this.rejected} received=${this.received.size} lost=${this.lost} duplicated=${this.duplicated}; ${extra}`;
    console.log(line);
    return line;
  }
}
