import { healthReport, type HealthCheck, type HealthReport } from './health-report.js';

/**
 * One report from several (a process running a bus, a relay and a scheduler worker): every check
 * of every report, the worst status, ready when every one is, live when every one is. A check name
 * two reports share gets `#2`, `#3`... on the later ones.
 *
 * @example
 * ```ts
 * const report = combineHealth(await metro.health(), await relay.health(), await worker.health());
 * if (!report.ready) console.log(report.checks);
 * ```
 */
export function combineHealth(...reports: ReadonlyArray<HealthReport>): HealthReport {
  const checks: Record<string, HealthCheck> = {};
  for (const report of reports) {
    for (const [name, check] of Object.entries(report.checks)) {
      let key = name;
      for (let n = 2; key in checks; n++) key = `${name}#${n}`;
      checks[key] = check;
    }
  }
  return healthReport(checks);
}
