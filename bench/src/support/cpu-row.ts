import type { BenchResult } from '../types.js';
import type { RunFigures } from './run-figures.js';

/** What a CPU row compares: the same timed runs as the throughput row it goes with. */
export interface CpuRowSpec {
  /** The row's name, e.g. `${throughputRowName}: Node CPU per message`. */
  readonly name: string;
  readonly metro: readonly RunFigures[];
  readonly baseline: readonly RunFigures[];
  readonly baselineName: string;
  /** Whose CPU the figure leaves out because it runs in another process, e.g. "RabbitMQ's". */
  readonly notCounted?: string;
  /** The unit, 'us/msg' unless the row counts something else per call. */
  readonly unit?: string;
  /** What comes before the per-round figures, e.g. the run's settings. */
  readonly notes?: string;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const micros = (x: number): string => x.toFixed(x < 10 ? 2 : 1);
const rounds = (xs: readonly RunFigures[]): string => xs.map((x) => micros(x.cpuMicrosPerMessage)).join('/');

/**
 * A row of Node CPU per message (lower is better), median of each side's timed runs, with every
 * run's figure in the notes: steadier than messages per second on a shared machine.
 */
export function cpuRow(spec: CpuRowSpec): BenchResult {
  const metro = median(spec.metro.map((x) => x.cpuMicrosPerMessage));
  const baseline = median(spec.baseline.map((x) => x.cpuMicrosPerMessage));
  const runs = spec.metro.length === 1 ? 'one run each' : `median of ${spec.metro.length} rounds`;
  return {
    name: spec.name,
    metro: Number(micros(metro)),
    baseline: Number(micros(baseline)),
    unit: spec.unit ?? 'us/msg',
    baselineName: spec.baselineName,
    higherIsBetter: false,
    notes: [
      spec.notes,
      `this Node process's CPU (process.cpuUsage, user + system) over each timed run / messages${spec.notCounted ? `, ${spec.notCounted} own CPU not counted` : ''}; ${runs}: metro ${rounds(spec.metro)}, baseline ${rounds(spec.baseline)}`,
    ]
      .filter(Boolean)
      .join('; '),
  };
}
