import type { Transport } from '../transport.js';
import { seconds } from './age-threshold.js';
import { healthReport, type HealthCheck, type HealthOptions, type HealthReport } from './health-report.js';
import type { TransportConnectionHealth, TransportConsumerHealth } from './transport-health.js';

/** The lifecycle states of a bus. */
export type BusState = 'idle' | 'starting' | 'started' | 'failed' | 'stopping' | 'stopped';

/** What {@link busHealth} looks at. */
export interface BusHealthInput {
  readonly service: string;
  readonly transport: Transport;
  readonly state: BusState;
  /** The queues the bus consumes once started. */
  readonly queues: ReadonlyArray<string>;
  /** The queues whose `consume()` returned (used when the transport reports no health of its own). */
  readonly consuming: ReadonlyArray<string>;
  /** Why `start()` failed, when the state is `failed`. */
  readonly startError?: string | undefined;
}

const STATE_MESSAGES: Record<BusState, string> = {
  idle: 'not started: call `await metro.start()` before serving (its queues are declared and consumed at start)',
  starting: 'starting: declaring its queues and attaching its consumers',
  started: 'started',
  failed: 'failed to start; it will not retry: restart the process once the cause is fixed',
  stopping: 'stopping: finishing in-flight handlers; take this instance out of rotation',
  stopped: 'stopped: this instance consumes nothing any more',
};

/**
 * `metro.health()`: the checks `<service>.bus` (started?), `<service>.connection.<role>` per
 * transport connection (connected? blocked? reconnecting since when?) and `<service>.consumers`
 * (every queue's consumer attached?). In-process state only: it never waits on the broker.
 *
 * @example
 * ```ts
 * const report = busHealth({ service: 'billing', transport, state: 'started', queues: ['billing'], consuming: ['billing'] });
 * ```
 */
export function busHealth(input: BusHealthInput, options: HealthOptions = {}): HealthReport {
  const { service, transport, state } = input;
  const health = transport.health?.();
  const checks: Record<string, HealthCheck> = {
    [`${service}.bus`]: {
      status: state === 'started' ? 'healthy' : 'unhealthy',
      message: `bus of service "${service}" ${STATE_MESSAGES[state]}${state === 'failed' && input.startError ? ` (${input.startError})` : ''}`,
      // A failed start is final (start() returns the same rejection): only a restart helps.
      liveness: state === 'failed',
      observed: { state },
    },
  };
  for (const connection of health?.connections ?? []) {
    checks[`${service}.connection.${connection.role}`] = connectionCheck(connection, transport.name, state);
  }
  checks[`${service}.consumers`] = consumersCheck(input, health?.consumers);
  return healthReport(checks, options);
}

/** One connection: connected is healthy, blocked degraded, anything else unhealthy (liveness only when closed under a running bus). */
function connectionCheck(c: TransportConnectionHealth, transportName: string, busState: BusState): HealthCheck {
  const forMs = Math.max(0, Date.now() - c.since);
  const where = c.endpoint !== undefined ? ` to ${c.endpoint}` : '';
  const name = c.role === transportName ? transportName : `${transportName} ${c.role}`;
  const observed = {
    state: c.state,
    since: new Date(c.since).toISOString(),
    forMs,
    reconnects: c.reconnects,
    blocked: c.blocked ?? null,
    lastError: c.lastError ?? null,
    endpoint: c.endpoint ?? null,
  };
  const lastError = c.lastError !== undefined ? ` (last error: ${c.lastError})` : '';
  if (c.state === 'connected' && c.blocked !== undefined) {
    return {
      status: 'degraded',
      message: `${name} connection${where} is blocked by the broker for ${seconds(forMs)} (${c.blocked}): its publishes wait until the broker's memory or disk alarm clears; free memory or disk on the broker`,
      liveness: false,
      observed,
    };
  }
  if (c.state === 'connected') return { status: 'healthy', message: `${name} connection${where} is up`, liveness: false, observed };
  const messages: Record<Exclude<TransportConnectionHealth['state'], 'connected'>, string> = {
    idle: `${name} connection is not open yet: it opens with metro.start()`,
    connecting: `${name} connection${where} has not connected for ${seconds(forMs)}${lastError}: check that the broker is up and reachable from here; it keeps trying`,
    reconnecting: `${name} connection${where} is down for ${seconds(forMs)} and reconnecting by itself${lastError}: check that the broker is up and reachable from here`,
    closed: `${name} connection is closed and will not reconnect${busState === 'started' ? ': the transport was closed under a running bus; restart the process' : ''}`,
  };
  return { status: 'unhealthy', message: messages[c.state], liveness: c.state === 'closed' && busState === 'started', observed };
}

/** The bus's queues: every one with an attached consumer is healthy, some degraded, none (or a bus not started) unhealthy. */
function consumersCheck(input: BusHealthInput, reported: ReadonlyArray<TransportConsumerHealth> | undefined): HealthCheck {
  const { service, queues, state } = input;
  const attached = queues.filter((queue) => (reported ? reported.some((c) => c.queue === queue && c.attached) : input.consuming.includes(queue)));
  const detached = queues.filter((queue) => !attached.includes(queue));
  const observed = { expected: queues.length, attached: attached.length, detached: detached.join(', ') || null };
  if (state !== 'started') {
    return { status: 'unhealthy', message: `${service} consumes no queue: the bus is ${state}`, liveness: false, observed };
  }
  if (detached.length === 0) return { status: 'healthy', message: `${attached.length} of ${queues.length} consumers attached`, liveness: false, observed };
  const status = attached.length === 0 ? 'unhealthy' : 'degraded';
  return {
    status,
    message: `${attached.length} of ${queues.length} consumers attached; not receiving: ${detached.join(', ')}. They re-attach by themselves once the broker is reachable; if it is and they do not, look for channel errors in the logs`,
    liveness: false,
    observed,
  };
}
