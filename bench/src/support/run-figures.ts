/** What one timed run cost: messages per second (wall clock) and Node CPU per message. */
export interface RunFigures {
  /** Messages per second over the run, wall clock. */
  readonly rate: number;
  /** User + system CPU of this process over the run, in microseconds per message. */
  readonly cpuMicrosPerMessage: number;
}

/** A run being timed: `stop` gives its figures for the messages it handled. */
export interface Timing {
  stop(messages: number): RunFigures;
}

/**
 * Starts the wall clock and this process's CPU clock (`process.cpuUsage`, user + system), for a
 * run whose start and end are not one awaited call, e.g. a consumer timed from its first delivery
 * to its last.
 */
export function startTiming(): Timing {
  const cpu = process.cpuUsage();
  const started = performance.now();
  return {
    stop(messages) {
      const seconds = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      return { rate: messages / seconds, cpuMicrosPerMessage: (used.user + used.system) / messages };
    },
  };
}

/**
 * Times `run`, which handles `messages` messages, by the wall clock and by this process's CPU
 * (`process.cpuUsage`, user + system): CPU per message is steadier than a rate on a shared machine,
 * and it is what a service pays per core.
 */
export async function measureRun(messages: number, run: () => Promise<void>): Promise<RunFigures> {
  const timing = startTiming();
  await run();
  return timing.stop(messages);
}
