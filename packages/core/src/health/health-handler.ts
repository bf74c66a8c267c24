import type { IncomingMessage as HttpRequest, ServerResponse } from 'node:http';
import { toMilliseconds, type Duration } from '../duration.js';
import { combineHealth } from './combine-health.js';
import { healthReport, type HealthOptions, type HealthProbe, type HealthReport, type HealthSource } from './health-report.js';

/** Options of {@link createHealthHandler}. */
export interface HealthHandlerOptions {
  /** What to check: buses, relays, scheduler workers, your own {@link HealthSource}s (or functions returning a report). */
  readonly sources: ReadonlyArray<HealthSource | ((options: HealthOptions) => Promise<HealthReport>)>;
  /** A source that has not reported by then counts as an unhealthy check `health-source-<index>`. Default `'2s'`. */
  readonly timeout?: Duration;
  /** Paths answered. Default `{ liveness: '/livez', readiness: '/readyz' }`. */
  readonly paths?: { readonly liveness?: string; readonly readiness?: string };
}

/** A `node:http` request listener that also works as Express / Connect middleware (it calls `next` for other paths). */
export type HealthHandler = (req: HttpRequest, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * A plain `node:http` handler for Kubernetes probes: `GET`/`HEAD /livez` answers 200 while the
 * process is live (only the checks marked `liveness`, which do no I/O: a broker or database outage
 * never restarts the pod), `/readyz` 200 while it is ready (no check unhealthy; degraded is still
 * ready) and 503 otherwise, with the {@link HealthReport} as JSON. Other paths go to `next` when
 * given (Express, Connect), else get a 404. No framework needed: pass it to `http.createServer`,
 * `app.use(...)`, or call it from a Fastify route with `reply.raw`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const probes = createHealthHandler({ sources: [metro] });
 * createServer(probes).listen(8081);
 * // curl -i localhost:8081/readyz -> 200 {"status":"healthy","ready":true,"live":true,...}
 * ```
 */
export function createHealthHandler(options: HealthHandlerOptions): HealthHandler {
  const timeoutMs = toMilliseconds(options.timeout ?? '2s');
  const paths = { liveness: options.paths?.liveness ?? '/livez', readiness: options.paths?.readiness ?? '/readyz' };
  return (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0];
    const probe: HealthProbe | undefined = path === paths.liveness ? 'liveness' : path === paths.readiness ? 'readiness' : undefined;
    if (probe === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
      if (next) return next();
      res.writeHead(probe === undefined ? 404 : 405, { 'content-type': 'application/json', ...(probe === undefined ? {} : { allow: 'GET, HEAD' }) });
      res.end(JSON.stringify({ error: probe === undefined ? `no such path; probes are ${paths.liveness} and ${paths.readiness}` : 'use GET or HEAD' }));
      return;
    }
    void checkAll(options.sources, probe, timeoutMs).then((report) => {
      const ok = probe === 'liveness' ? report.live : report.ready;
      const body = JSON.stringify(report);
      res.writeHead(ok ? 200 : 503, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'content-length': Buffer.byteLength(body),
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  };
}

/**
 * Asks every source for its report (at once), each within `timeoutMs`, and combines them. A
 * source that throws or does not answer in time is an unhealthy check of its own (a liveness one
 * when the liveness probe asked: its in-process checks should never take that long).
 *
 * @example
 * ```ts
 * const report = await checkAll([metro, relay], 'readiness', 2000);
 * ```
 */
export async function checkAll(sources: HealthHandlerOptions['sources'], probe: HealthProbe, timeoutMs: number): Promise<HealthReport> {
  const reports = await Promise.all(sources.map((source, index) => reportWithin(source, index, probe, timeoutMs)));
  return combineHealth(...reports);
}

async function reportWithin(source: HealthHandlerOptions['sources'][number], index: number, probe: HealthProbe, timeoutMs: number): Promise<HealthReport> {
  let timer: NodeJS.Timeout | undefined;
  const failed = (message: string): HealthReport =>
    healthReport({ [`health-source-${index}`]: { status: 'unhealthy', message, liveness: probe === 'liveness', observed: { timeoutMs } } });
  try {
    const report = typeof source === 'function' ? source({ probe }) : source.health({ probe });
    const timedOut = new Promise<HealthReport>((resolve) => {
      timer = setTimeout(() => resolve(failed(`health source ${index} did not report within ${timeoutMs} ms: the process may be overloaded`)), timeoutMs);
    });
    return await Promise.race([report, timedOut]);
  } catch (err) {
    return failed(`health source ${index} failed to report: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
  }
}
