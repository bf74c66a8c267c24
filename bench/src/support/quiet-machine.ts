// Waits for the machine to go quiet before a benchmark module starts: a guard against work a
// module leaves behind (RabbitMQ deleting a purged queue's persisted messages, PostgreSQL's
// autovacuum after a mass delete), which would slow the next module's Metro side more than its
// baseline (the baselines do less work per message in node, so they lose less to a busy core).
// In the runs of 2026-11-23 the machine was always idle within the first second.
import { readFileSync } from 'node:fs';

function cpuTimes(): { idle: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3]! + (fields[4] ?? 0);
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

/**
 * Resolves once the whole machine was at least `idleShare` idle over one `windowMs`, or after
 * `maxMs`. Returns the ms waited and the last idle share seen. Off Linux it returns at once.
 */
export async function waitForQuietMachine(idleShare = 0.9, windowMs = 1000, maxMs = 60_000): Promise<{ waitedMs: number; idle: number }> {
  const started = Date.now();
  for (;;) {
    let before: { idle: number; total: number };
    try {
      before = cpuTimes();
    } catch {
      return { waitedMs: 0, idle: NaN };
    }
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = cpuTimes();
    const idle = (after.idle - before.idle) / Math.max(1, after.total - before.total);
    if (idle >= idleShare || Date.now() - started >= maxMs) return { waitedMs: Date.now() - started, idle };
  }
}
