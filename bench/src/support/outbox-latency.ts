// The outbox benches' commit-to-delivery latency run: an open-loop producer (each event inserted at
// its due time, whether or not the earlier ones have committed), each event in a transaction of its
// own, then a wait for the relay to deliver them. Used by outbox-relay.bench.ts (latency p50 / p99)
// and support/outbox-latency-probe.ts (the same run, instrumented per event).
import type { Kysely } from 'kysely';
import { insertOutboxRows } from '@metro/outbox-pg';
import { outboxRow } from './outbox-rows.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The longest a latency run waits, after its last commit, for its events to be delivered. */
const DELIVERY_WAIT_MS = 10_000;

/** How fast and how long the producer inserts: `rate` events/s for `seconds`. */
export interface ProducerPace {
  readonly rate: number;
  readonly seconds: number;
}

/** What the caller records of each event, each by the clock it measures with. */
export interface ProducedEvents {
  /** An event's insert is starting. */
  inserting?(messageId: string): void;
  /** Its transaction has committed (the producer's ack). */
  committed(messageId: string): void;
  /** True once the `total` events produced have all been received: the run waits for it (10 s at most). */
  delivered(total: number): boolean;
}

/**
 * Produces `rate x seconds` events for `topic` into `schema`.outbox at the given pace, then waits
 * until they are delivered or 10 s have passed. Rejects if an insert fails.
 *
 * @example
 * ```ts
 * const committed = new Map<string, number>();
 * await produceAtRate(db, schema, topic, { rate: 500, seconds: 6 }, {
 *   committed: (id) => void committed.set(id, Date.now()),
 *   delivered: (total) => received.size >= total,
 * });
 * ```
 */
export async function produceAtRate(db: Kysely<any>, schema: string, topic: string, pace: ProducerPace, events: ProducedEvents): Promise<void> {
  const total = pace.rate * pace.seconds;
  const start = Date.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / pace.rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    const r = outboxRow(topic);
    events.inserting?.(r.messageId);
    inflight.push(
      db
        .transaction()
        .execute((trx) => insertOutboxRows(db, schema, trx, [r]))
        .then(() => events.committed(r.messageId)),
    );
  }
  await Promise.all(inflight);
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  while (!events.delivered(total) && Date.now() < deadline) await sleep(20);
}

/** How long the producer runs, unrecorded, before a measured run, and how long its events get to drain. */
const WARM_UP = { seconds: 1, drainMs: 500 };

/**
 * Runs the producer at `rate` for a second without recording anything, then gives the relay half a
 * second to deliver those events: the relay's pool opens its connections, PostgreSQL's new backends
 * fill their caches and plan the claim, so the measured run sees the steady state of a service that
 * has been running at that rate (without it, the first 0.3 s of a run took 80-200 ms per event, its
 * tail decided by the relay's lanes connecting).
 *
 * @example
 * ```ts
 * await warmUpAtRate(db, schema, topic, 500);
 * await produceAtRate(db, schema, topic, { rate: 500, seconds: 6 }, events);
 * ```
 */
export async function warmUpAtRate(db: Kysely<any>, schema: string, topic: string, rate: number): Promise<void> {
  await produceAtRate(db, schema, topic, { rate, seconds: WARM_UP.seconds }, { committed: () => undefined, delivered: () => true });
  await sleep(WARM_UP.drainMs);
}

/**
 * The value at percentile `p` (0-100) of ascending `sorted` values; NaN when there are none.
 *
 * @example
 * ```ts
 * const p99 = percentile(latencies, 99);
 * ```
 */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
