/** How a check, or a whole report, stands: the three levels of MassTransit's and ASP.NET Core's health checks. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** A value a check observed or compared against (JSON-safe). */
export type HealthValue = string | number | boolean | null;

/** One check of a {@link HealthReport}: its status, what was observed, and what to do about it. */
export interface HealthCheck {
  /** `healthy`; `degraded` (works, but look at it; still ready); `unhealthy` (not ready; see {@link HealthCheck.liveness}). */
  readonly status: HealthStatus;
  /** What was observed and, when not healthy, what to do: written for the operator reading a probe's body. */
  readonly message: string;
  /**
   * True when this check says something about the process itself that it cannot recover from by
   * itself (e.g. a relay whose loops crashed): unhealthy, it fails liveness as well as readiness.
   * False (most checks) for dependencies that come back by themselves (a broker or database
   * outage): unhealthy, they fail readiness only, so Kubernetes stops sending traffic but does not
   * restart a process that would reconnect anyway.
   */
  readonly liveness: boolean;
  /** The values observed, e.g. `{ state: 'reconnecting', downMs: 4200 }` or `{ oldestPendingAgeMs: 1250 }`. */
  readonly observed: Readonly<Record<string, HealthValue>>;
  /** The thresholds the observed values were compared against, e.g. `{ degradedMs: 30000, unhealthyMs: 300000 }`. */
  readonly thresholds?: Readonly<Record<string, HealthValue>> | undefined;
}

/**
 * The health of one component (`metro.health()`, `relay.health()`, `worker.health()`) or of a
 * process ({@link combineHealth}). `status` is the worst check's; `ready` and `live` are what the
 * Kubernetes probes answer (see {@link createHealthHandler}).
 */
export interface HealthReport {
  /** The worst status among the checks (`healthy` when there are none). */
  readonly status: HealthStatus;
  /** Readiness: no check is unhealthy (degraded is still ready, as ASP.NET Core's default mapping answers 200). */
  readonly ready: boolean;
  /** Liveness: no check marked `liveness` is unhealthy. */
  readonly live: boolean;
  /** When the checks ran (ISO 8601). */
  readonly checkedAt: string;
  /** The checks by name, each name prefixed with its component (`billing.consumers`, `outbox-relay.lag`). */
  readonly checks: Readonly<Record<string, HealthCheck>>;
}

/** Which probe a report is for. */
export type HealthProbe = 'liveness' | 'readiness';

/** Options of a component's `health()`. */
export interface HealthOptions {
  /**
   * `'liveness'`: only the checks marked `liveness`, which look at in-process state and do no I/O
   * (a liveness probe must not wait on a database that is down). Default `'readiness'`: every check.
   */
  readonly probe?: HealthProbe | undefined;
}

/** Anything that reports its health: a Metro bus, an outbox relay, a scheduler worker, or your own. */
export interface HealthSource {
  health(options?: HealthOptions): Promise<HealthReport>;
}

const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/**
 * The worse of statuses.
 *
 * @example
 * ```ts
 * worstStatus(['healthy', 'degraded']); // 'degraded'
 * ```
 */
export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'healthy';
  for (const status of statuses) if (RANK[status] > RANK[worst]) worst = status;
  return worst;
}

/**
 * Builds a report from named checks: its status, `ready` and `live` follow from them. With
 * `probe: 'liveness'`, only the checks marked `liveness` are kept. For your own checks too.
 *
 * @example
 * ```ts
 * const report = healthReport({
 *   'payments-api': { status: 'healthy', message: 'answered in 12 ms', liveness: false, observed: { ms: 12 } },
 * });
 * report.ready; // true
 * ```
 */
export function healthReport(checks: Readonly<Record<string, HealthCheck>>, options: HealthOptions = {}): HealthReport {
  const kept: Record<string, HealthCheck> = {};
  for (const [name, check] of Object.entries(checks)) if (options.probe !== 'liveness' || check.liveness) kept[name] = check;
  const all = Object.values(kept);
  return {
    status: worstStatus(all.map((c) => c.status)),
    ready: all.every((c) => c.status !== 'unhealthy'),
    live: all.every((c) => !(c.liveness && c.status === 'unhealthy')),
    checkedAt: new Date().toISOString(),
    checks: kept,
  };
}
