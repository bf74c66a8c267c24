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
 * and right after any claim that came back short (see {@link ClaimFloor.cameBackShort}).
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

  /** A claim that started after the floor found fewer rows than it asked for: the next claim starts from the start. */
  cameBackShort(): void {
    this.fullClaimDue = true;
  }
}
