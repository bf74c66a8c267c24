/**
 * Where a relay's next claim starts. Rows up to the highest `seq` that this relay's batches in
 * flight hold are locked by them or already gone, so a claim that starts after that `seq` does not
 * walk past them (and past the index entries of rows deleted since the last vacuum) before it
 * finds a free one: that walk is a large part of the database's cost per row.
 *
 * Claims still running count too ({@link ClaimFloor.claim}): a full claim that starts after `s`
 * reaches `s + limit` or beyond (beyond when it skips rows: gaps in seqs, rows not due or not yet
 * committed), so a claim made while it runs starts there at least. Lanes finish their batches,
 * and claim, together (the broker confirms in bursts), and would otherwise each walk past the
 * rows the others had just locked.
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
  /** Claims in flight after a floor: the `seq` each one reaches at least, if it comes back full. */
  private readonly claiming = new Map<number, bigint>();
  private lastFullClaim = Number.NEGATIVE_INFINITY;
  private fullClaimDue = true;

  constructor(private readonly fullClaimEveryMs = 100) {}

  /**
   * Runs `lane`'s claim: `run` gets the `seq` to start after (`undefined`: from the start) and
   * returns the rows it claimed in `seq` order, which the lane holds until
   * {@link ClaimFloor.release}. While it runs, the floor is at least `after + limit` (see the
   * class). Rejects as `run` does: the lane then holds nothing new, and the next claim starts from
   * the start (the others may already claim past the rows this one would have taken).
   *
   * @example
   * ```ts
   * const { rows } = await floor.claim(lane, batchSize, (after) => claimRows(trx, schema, batchSize, ordering, after));
   * // publish, mark, commit; then, committed or not:
   * floor.release(lane);
   * ```
   */
  async claim<T extends { readonly seq: string }>(
    lane: number,
    limit: number,
    run: (after: string | undefined) => Promise<T[]>,
  ): Promise<{ rows: T[]; after: string | undefined }> {
    const after = this.next();
    // A full claim that starts after `after` ends at `after + limit` or later (later when it skips
    // rows: gaps in seqs, rows other relays hold, rows not due or not yet committed).
    if (after !== undefined) this.claiming.set(lane, BigInt(after) + BigInt(limit));
    let rows: T[];
    try {
      rows = await run(after);
    } catch (err) {
      // The other lanes may already claim past this one's rows: the next claim starts from the start.
      if (after !== undefined) this.fullClaimDue = true;
      throw err;
    } finally {
      this.claiming.delete(lane);
    }
    const last = rows[rows.length - 1]?.seq;
    this.claimed(after, rows.length, limit, last);
    if (last !== undefined) this.hold(lane, last);
    return { rows, after };
  }

  /** The `seq` the next claim starts after, or `undefined` for a claim from the start. */
  next(now: number = Date.now()): string | undefined {
    const floor = this.highest();
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
    const floor = this.highest();
    if (floor !== undefined && BigInt(lastSeq) < floor) this.fullClaimDue = true;
  }

  /** The floor: the highest `seq` held by a batch in flight or reached by a claim still running. */
  private highest(): bigint | undefined {
    let floor: bigint | undefined;
    for (const seq of this.held.values()) if (floor === undefined || seq > floor) floor = seq;
    for (const seq of this.claiming.values()) if (floor === undefined || seq > floor) floor = seq;
    return floor;
  }
}
