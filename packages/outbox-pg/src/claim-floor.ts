/**
 * Where a relay's next claim starts. Rows up to the highest `seq` that this relay's batches in
 * flight hold are locked by them or already gone, so a claim that starts after that `seq` does not
 * walk past them: with 10 lanes of 100 rows, a claim from the start of the pending index visits up
 * to 900 rows other lanes hold (and the index entries of rows deleted since the last vacuum)
 * before it finds a free one. Measured on PostgreSQL 15, that walk was a third of the database's
 * cost per row at batch 100.
 *
 * A claim that starts after the floor skips rows below it: a producer's transaction that took a
 * low `seq` and committed late, rows another relay let go, rows whose backoff ended. A claim from
 * the start picks them up: at least one every `fullClaimEveryMs`, whenever nothing is in flight,
 * right after any claim that came back short, and again after a claim from the start that came
 * back full without reaching the floor (more rows may wait below it: the relay keeps claiming from
 * the start until that backlog is gone). See {@link ClaimFloor.claimed}.
 */
export class ClaimFloor {
  private readonly held = new Map<number, bigint>();
  private lastFullClaim = Number.NEGATIVE_INFINITY;
  private fullClaimDue = true;

  constructor(private readonly fullClaimEveryMs = 100) {}

  /** The `seq` the next claim starts after, or `undefined` for a claim from the start. */
  next(now: number = Date.now()): string | undefined {
    let floor: bigint | undefined;
    for (const seq of this.held.values()) if (floor === undefined || seq > floor) floor = seq;
    if (floor === undefined || this.fullClaimDue || now - this.lastFullClaim >= this.fullClaimEveryMs) {
      this.fullClaimDue = false;
      this.lastFullClaim = now;
      return undefined;
    }
    return floor.toString();
  }

  /** `lane` holds rows up to `maxSeq` until {@link ClaimFloor.release}. */
  hold(lane: number, maxSeq: string): void {
    this.held.set(lane, BigInt(maxSeq));
  }

  /** `lane`'s transaction ended (committed or rolled back). */
  release(lane: number): void {
    this.held.delete(lane);
  }

  /**
   * Reports a claim: `after` as {@link ClaimFloor.next} gave it, the rows claimed out of `limit`,
   * and the highest `seq` claimed. Decides whether the next claim starts from the start.
   */
  claimed(after: string | undefined, count: number, limit: number, lastSeq: string | undefined): void {
    if (after !== undefined) {
      if (count < limit) this.fullClaimDue = true;
      return;
    }
    if (count < limit || lastSeq === undefined) return;
    let floor: bigint | undefined;
    for (const seq of this.held.values()) if (floor === undefined || seq > floor) floor = seq;
    if (floor !== undefined && BigInt(lastSeq) < floor) this.fullClaimDue = true;
  }
}
