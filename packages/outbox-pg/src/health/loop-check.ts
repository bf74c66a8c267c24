import type { HealthCheck } from '@metro/core';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A failed round older than this, with no round through since, no longer counts: the relay's backoff is at most 5 s. */
const FAILING_WINDOW_MS = 15_000;

/** What {@link loopHealthCheck} looks at: a background loop's life and its last outcomes. */
export interface LoopHealthFacts {
  /** Names it in messages, e.g. `'the outbox relay'`. */
  readonly who: string;
  /** How to start it, e.g. `'relay.start()'`. */
  readonly start: string;
  readonly running: boolean;
  /** Loops that ended with an unexpected error while it runs: they do not come back by themselves. */
  readonly crashed: number;
  readonly loops: number;
  /** When a round last went through (the relay: a batch published rows), ms since the epoch. */
  readonly lastSuccessAt: number | null;
  /** When a round last failed. */
  readonly lastErrorAt: number | null;
  readonly lastError: string | null;
  readonly errors: number;
  /** What it waits on when rounds fail, e.g. `'the broker and the database'`. */
  readonly dependsOn: string;
}

/**
 * The check of a background loop (the outbox relay's lanes, the scheduler worker): healthy while
 * its rounds go through; degraded while they fail (it backs off and retries by itself); unhealthy
 * when it is not running (readiness only) or a loop crashed (liveness too: nothing restarts it but
 * a restart of the process). While it runs it counts for liveness, so `/livez` shows it.
 *
 * @example
 * ```ts
 * loopHealthCheck({ who: 'the outbox relay', start: 'relay.start()', running: true, crashed: 0, loops: 2, lastSuccessAt: Date.now(), lastErrorAt: null, lastError: null, errors: 0, dependsOn: 'the broker and the database' });
 * ```
 */
export function loopHealthCheck(facts: LoopHealthFacts): HealthCheck {
  const { who, running, crashed, loops, lastSuccessAt, lastErrorAt, lastError, errors } = facts;
  const now = Date.now();
  // Failing: a round failed lately and none went through since (a relay whose rows another instance published fails no more rounds: it recovers after the window).
  const failing = lastErrorAt !== null && (lastSuccessAt === null || lastErrorAt > lastSuccessAt) && now - lastErrorAt < FAILING_WINDOW_MS;
  const observed = {
    running,
    loops,
    crashed,
    failing,
    errors,
    lastError,
    lastSuccessAt: lastSuccessAt === null ? null : new Date(lastSuccessAt).toISOString(),
    sinceLastSuccessMs: lastSuccessAt === null ? null : now - lastSuccessAt,
  };
  if (running && crashed > 0) {
    return {
      status: 'unhealthy',
      message: `${crashed} of ${loops} loop(s) of ${who} crashed (last error: ${lastError ?? 'unknown'}) and will not come back: restart the process, and report the error`,
      liveness: true,
      observed,
    };
  }
  // While it runs, only a crash makes it unhealthy: it counts for liveness.
  if (!running) return { status: 'unhealthy', message: `${who} is not running: call ${facts.start} (or it was stopped)`, liveness: false, observed };
  const last = lastSuccessAt === null ? 'nothing done yet' : `last done ${seconds(now - lastSuccessAt)} ago`;
  if (failing) {
    return {
      status: 'degraded',
      message: `${who} is failing (${last}; ${errors} errors, last: ${lastError ?? 'unknown'}): it backs off and retries by itself; check ${facts.dependsOn}`,
      liveness: true,
      observed,
    };
  }
  return { status: 'healthy', message: `${who} is running (${last})`, liveness: true, observed };
}
