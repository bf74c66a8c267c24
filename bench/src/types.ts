/** One line of a benchmark's result: Metro against its baseline, measured in the same process run. */
export interface BenchResult {
  /** What was measured, e.g. 'publish with confirms (1 KiB, persistent)'. */
  name: string;
  /** Metro's figure. */
  metro: number;
  /** The baseline's figure (raw amqplib, a hand-written loop, a peer library). */
  baseline: number;
  /** e.g. 'msg/s', 'ms'. */
  unit: string;
  /** What the baseline is, e.g. 'raw amqplib confirm channel'. */
  baselineName: string;
  /** true when higher is better (throughput), false when lower is better (latency). Default true. */
  higherIsBetter?: boolean;
  /** The goal in words, e.g. '>= 0.9x raw'. */
  goal?: string;
  /**
   * The ratio when it is not Metro's figure over the baseline's: the median of the per-pair ratios
   * of alternated rounds (support/paired-ratio.ts). Oriented as every ratio: > 1 means Metro is better.
   */
  ratio?: number;
  /** Whether the goal is met, when there is one. */
  met?: boolean;
  notes?: string;
}
