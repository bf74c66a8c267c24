import { checkAll, type HealthReport, type HealthSource, type Logger } from '@metro/core';
import { adminQuery, router } from '../trpc.js';

/** How long the admin API waits for each component's report (each bounds its own database check to about 1 s). */
const HEALTH_TIMEOUT_MS = 3000;

/**
 * The combined readiness report of the components the admin API was given (`health` option of
 * `createAdminRouter`: buses, relays, scheduler workers), or `null` when it was given none.
 *
 * @example
 * ```ts
 * const report = await readHealth([metro, relay], logger); // HealthReport | null
 * ```
 */
export async function readHealth(sources: ReadonlyArray<HealthSource>, logger: Logger): Promise<HealthReport | null> {
  if (sources.length === 0) return null;
  const report = await checkAll(sources, 'readiness', HEALTH_TIMEOUT_MS);
  if (report.status !== 'healthy') logger.debug({ status: report.status }, 'metro admin: a component is not healthy');
  return report;
}

/** The `health.*` procedures: `report`, the readiness report of the configured components (`null` without any). */
export function healthRouter(sources: ReadonlyArray<HealthSource>, logger: Logger) {
  return router({
    report: adminQuery.query((): Promise<HealthReport | null> => readHealth(sources, logger)),
  });
}
