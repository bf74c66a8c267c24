/** What one timed run cost: messages per second (wall clock) and Node CPU per message. */
export interface RunFigures {
  /** Messages per second over the run, wall clock. */
  readonly rate: number;
  /** User + system CPU of this process over the run, in microseconds per message. */
  readonly cpuMicrosPerMessage: number;
}

/**
 * Times `run`, which handles `messages` messages, by the wall clock and by this process's CPU
 * (`process.cpuUsage`, user + system): CPU per message is steadier than a rate on a shared machine,
 * and it is what a service pays per core.
 */
export async function measureRun(messages: number, run: () => Promise<void>): Promise<RunFigures> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: messages / seconds, cpuMicrosPerMessage: (used.user + used.system) / messages };
}
