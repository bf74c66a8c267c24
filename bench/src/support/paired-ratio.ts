// The ratio of two sides measured in alternated rounds, as the median of each pair's own ratio.
// A pair's two rounds run back to back and so see the same moment of the shared machine; each
// side's median, by contrast, may come from different moments. When the load drifts over a run
// the two differ: in a full run of 2026-12-07 the end-to-end rounds with the CPUs kept busy went
// from ~10,400 msg/s (both sides, rounds 1-2) to ~7,500 (rounds 4-5); the ratio of the sides'
// medians was 0.91x (both medians fell in round 3), the pairs' ratios 0.99/0.99/0.92/1.02/1.09.

/** The median of the per-pair ratios, oriented as run-all prints ratios (> 1: Metro is better), and the pairs' own. */
export interface PairedRatio {
  readonly ratio: number;
  readonly pairs: ReadonlyArray<number>;
}

/**
 * The median of `metro[i] / baseline[i]` (or `baseline[i] / metro[i]` when lower is better), over
 * the pairs of rounds measured back to back.
 *
 * @example
 * ```ts
 * pairedRatio([100, 90, 80], [100, 100, 80], true); // { ratio: 1, pairs: [1, 0.9, 1] }
 * ```
 */
export function pairedRatio(metro: ReadonlyArray<number>, baseline: ReadonlyArray<number>, higherIsBetter: boolean): PairedRatio {
  if (metro.length !== baseline.length || metro.length === 0) throw new Error(`pairedRatio: ${metro.length} rounds against ${baseline.length}`);
  const pairs = metro.map((m, i) => (higherIsBetter ? m / baseline[i]! : baseline[i]! / m));
  const sorted = [...pairs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return { ratio: sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2, pairs };
}

/** The pairs' ratios for a row's notes: `1.02/0.98/...`. */
export function pairsText(paired: PairedRatio): string {
  return paired.pairs.map((p) => p.toFixed(2)).join('/');
}
