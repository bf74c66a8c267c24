import { sql, type Kysely } from 'kysely';
import { backoffDelay, childLogger, ConfigurationError, SerialSteps, defaultLogger, toMilliseconds, isUnroutable, UnroutableEvents, uuidv7, type Duration, type Logger, type Transport } from '@metro/core';
import { ClaimFloor } from './claim-floor.js';
import { BatchTransaction, type BatchWork } from './batch-transaction.js';
import { CLAIM_SETTINGS, claimRows, markAttemptFailed, markSent, type ClaimedRow } from './outbox-claim.js';
import { ThroughputCounter } from './throughput-counter.js';
import { LaneWakeups } from './lane-wakeups.js';
import { isBrokerTrouble } from './publish-failure.js';
import { outboxChannel, schemaName } from '../identifiers.js';
import type { NotificationSource } from '../database/notifications.js';

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly transport: Transport;
  /** Default `metro`. */
  readonly schema?: string;
  /** Wakes the relay the moment a row is committed (`pgNotifications(pool)` / `pgliteNotifications(pglite)`). */
  readonly listen?: NotificationSource;
  /** Rows claimed and published per transaction. Default 100. */
  readonly batchSize?: number;
  /** Fallback poll interval. Default `'1s'` with `listen`, `'100ms'` without. */
  readonly pollInterval?: Duration;
  /** `'aggregate'`: rows with the same `aggregateId` are published in insertion order. Default `'none'`. */
  readonly ordering?: 'none' | 'aggregate';
  /** Keep sent rows this long (status `sent`), or `0` to delete them when sent. Default 0. */
  readonly retention?: Duration | 0;
  /**
   * Attempts before a row that cannot be published (e.g. unroutable under the `error` policy) is
   * marked `failed`. Default 10. (A topic row no queue receives under the `accept` policy, the
   * default, is done at once: logged, counted in `stats().unroutable`, marked sent.)
   */
  readonly maxAttempts?: number;
  /** First delay before re-trying such a row; doubles per attempt up to 5 minutes. Default `'1s'`. */
  readonly retryDelay?: Duration;
  /**
   * Batches in flight at once, each its own claim transaction, so the next batches are claimed and
   * published while earlier ones await their confirms. Each holds a pool connection while in
   * flight; a crash can republish up to `concurrency x batchSize` rows. Default 2.
   *
   * Throughput follows the rows in flight: to drain a backlog fast, keep 1,000 or more
   * (`batchSize: 100, concurrency: 16`, or `batchSize: 1000, concurrency: 4`) and give the pool a
   * connection per lane.
   */
  readonly concurrency?: number;
  readonly logger?: Logger;
}

/** Counters of one relay since it was created. */
export interface OutboxRelayStats {
  readonly running: boolean;
  /** Rows published and marked sent. */
  readonly published: number;
  readonly batches: number;
  /** Publish attempts of single rows that failed (e.g. unroutable) and were scheduled again. */
  readonly retried: number;
  /** Rows given up on (status `failed`). */
  readonly failed: number;
  /**
   * Event rows no queue received that their `accept` unroutable policy let through (included in
   * `published`: they are marked sent). The first of each topic and subject is logged as a
   * warning, later ones at debug level.
   */
  readonly unroutable: number;
  /** Batches that failed or were cut short (database or broker trouble). */
  readonly errors: number;
  readonly lastError: string | null;
}

/** Publishes committed outbox rows to the transport. */
export interface OutboxRelay {
  /** Starts listening and publishing. Idempotent. */
  start(): Promise<void>;
  /** Finishes the batch in flight, stops listening. Safe to call twice. */
  stop(): Promise<void>;
  stats(): OutboxRelayStats;
}

/** Settings of the transaction that writes an idle lane's throughput count. */
const COUNT_SETTINGS = "select set_config('synchronous_commit', 'off', true)";

/** Sent rows past their retention deleted per statement (the relay deletes chunks until fewer come back). */
const PRUNE_CHUNK = 10_000;
/** How long one round of housekeeping deletes before its lane publishes again. */
const PRUNE_BUDGET_MS = 1_000;

/** What one batch did: rows claimed, whether its claim started after the floor, rows sent, the count it wrote, broker trouble. */
interface BatchOutcome {
  readonly claimed: number;
  readonly afterFloor: boolean;
  readonly sent: number;
  /** Rows added to the throughput counter with the commit (see `ThroughputCounter.due`). */
  readonly counted: number;
  readonly transient: unknown;
}

type PublishOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown; readonly skipped?: boolean };
const SENT: PublishOutcome = { ok: true };

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigurationError(`createOutboxRelay: ${name} must be a positive integer, got ${String(value)}.`);
  return value;
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Creates a relay that publishes committed outbox rows: claims a batch with
 * `FOR UPDATE SKIP LOCKED`, publishes it concurrently with publisher confirms, and deletes (or
 * marks sent) the confirmed rows in the same transaction. Any number of relays may run on one
 * table. Woken by LISTEN/NOTIFY, with a slow poll as a fallback; backs off and resumes when the
 * database or broker is down. Unroutable rows are retried with backoff, then marked `failed`,
 * except event rows under the `accept` unroutable policy (the default), which are done (logged,
 * counted in `stats().unroutable`).
 *
 * @example
 * ```ts
 * const relay = createOutboxRelay({ db, transport, listen: pgNotifications(pool), ordering: 'aggregate' });
 * await relay.start();
 * // ...
 * await relay.stop();
 * ```
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const schema = schemaName(options.schema);
  const { db, transport, listen } = options;
  const batchSize = positiveInteger('batchSize', options.batchSize, 100);
  const pollMs = toMilliseconds(options.pollInterval ?? (listen ? '1s' : '100ms'));
  const ordering = options.ordering ?? 'none';
  const retentionMs = options.retention === undefined || options.retention === 0 ? 0 : toMilliseconds(options.retention);
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts, 10);
  const retryDelayMs = toMilliseconds(options.retryDelay ?? '1s');
  const concurrency = positiveInteger('concurrency', options.concurrency, 2);
  const relayId = uuidv7();
  const logger = childLogger(options.logger ?? defaultLogger, { component: 'outbox-relay', schema });

  const counters = { published: 0, batches: 0, retried: 0, failed: 0, errors: 0 };
  const unroutable = new UnroutableEvents(logger);
  let lastError: string | null = null;
  let running = false;
  let loops: Promise<void>[] = [];
  let unlisten: (() => Promise<void>) | undefined;
  let lastListenAttempt = 0;
  let lastHousekeeping = 0;
  const wakeups = new LaneWakeups();
  const floor = new ClaimFloor();
  const transactions = new BatchTransaction({ onRollbackFailed: (err) => logger.warn({ err }, 'outbox relay could not roll back a failed batch') });

  const ensureListening = async () => {
    if (!listen || unlisten !== undefined || Date.now() - lastListenAttempt < 5000) return;
    lastListenAttempt = Date.now();
    try {
      unlisten = await listen.listen(outboxChannel(schema), () => wakeups.notify());
      wakeups.notify(); // rows committed before we listened
    } catch (err) {
      logger.warn({ err }, 'outbox relay could not LISTEN; polling until it can');
    }
  };

  /**
   * Publishes one row: a topic row under the `accept` policy that no queue receives resolves
   * (logged and counted); any other failure rejects.
   */
  const publishRow = (row: ClaimedRow): Promise<void> =>
    row.unroutable === 'accept' && row.message.destination.kind === 'topic'
      ? transport.publish(row.message).catch((err: unknown) => {
          if (!isUnroutable(err)) throw err;
          unroutable.record(row.message);
        })
      : transport.publish(row.message);

  /**
   * Publishes a batch and waits for all its confirms with one await. Without ordering every row is
   * published at once; with `aggregate` ordering, rows of one aggregate go one after the other (a
   * row is published only once the previous one of its aggregate is confirmed), and the rest of an
   * aggregate's rows are skipped after a failure.
   */
  const publishAll = async (rows: ClaimedRow[]): Promise<PublishOutcome[]> => {
    if (ordering !== 'aggregate') {
      const settled = await Promise.allSettled(rows.map(publishRow));
      return settled.map((s) => (s.status === 'fulfilled' ? SENT : { ok: false, error: s.reason as unknown }));
    }
    const outcomes: PublishOutcome[] = new Array<PublishOutcome>(rows.length);
    const chains = new Map<string, number[]>();
    const inFlight: Promise<void>[] = [];
    rows.forEach((row, i) => {
      if (row.aggregateId === null) {
        inFlight.push(
          publishRow(row).then(
            () => void (outcomes[i] = SENT),
            (error: unknown) => void (outcomes[i] = { ok: false, error }),
          ),
        );
        return;
      }
      const chain = chains.get(row.aggregateId);
      if (chain) chain.push(i);
      else chains.set(row.aggregateId, [i]);
    });
    const runChain = async (chain: number[]): Promise<void> => {
      for (let k = 0; k < chain.length; k++) {
        const i = chain[k]!;
        try {
          await publishRow(rows[i]!);
          outcomes[i] = SENT;
        } catch (error) {
          outcomes[i] = { ok: false, error };
          for (const later of chain.slice(k + 1)) outcomes[later] = { ok: false, error: undefined, skipped: true };
          return;
        }
      }
    };
    for (const chain of chains.values()) inFlight.push(runChain(chain));
    await Promise.all(inFlight);
    return outcomes;
  };

  /**
   * One claim-publish-mark transaction of lane `lane`: begin (with synchronous_commit off and the
   * claim's planner settings), claim, publish, then mark and commit. Returns rows claimed, whether
   * the claim started after the floor, and whether the broker is in trouble.
   */
  const runBatch = (lane: number, counter: ThroughputCounter): Promise<BatchOutcome> =>
    transactions.run(db, CLAIM_SETTINGS, (trx) => claimPublishMark(trx, lane, counter)).finally(() => floor.release(lane));

  /** The batch itself, on `trx`: the lane's connection, inside the batch's transaction. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const claimPublishMark = async (trx: Kysely<any>, lane: number, counter: ThroughputCounter): Promise<BatchWork<BatchOutcome>> => {
    const started = performance.now();
    const { rows, after } = await floor.claim(lane, batchSize, (from) => claimRows(trx, schema, batchSize, ordering, from));
    const afterFloor = after !== undefined;
    if (rows.length === 0) return { value: { claimed: 0, afterFloor, sent: 0, counted: 0, transient: undefined } };
    if (rows.length >= batchSize) wakeups.spare(); // more may wait: another lane claims after these
    const claimedAt = performance.now();
    const results = await publishAll(rows);
    const publishedAt = performance.now();
    const sent: string[] = [];
    const anySent = results.some((result) => result?.ok === true);
    let transient: unknown;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const result = results[i];
      if (result === undefined || result.ok) {
        if (result?.ok) sent.push(row.seq);
        continue;
      }
      if (result.skipped) continue;
      if (isBrokerTrouble(result.error, anySent)) {
        transient ??= result.error;
        continue;
      }
      const attempt = row.attempts + 1;
      const giveUp = attempt >= maxAttempts;
      const delay = backoffDelay(attempt - 1, { initialMs: retryDelayMs, maxMs: 300_000 });
      await markAttemptFailed(trx, schema, row.seq, errorText(result.error), delay, giveUp);
      if (giveUp) {
        counters.failed++;
        logger.error({ err: result.error, messageId: row.message.messageId, attempts: attempt }, 'outbox row could not be published; marked failed');
      } else {
        counters.retried++;
        logger.warn({ err: result.error, messageId: row.message.messageId, attempt, delayMs: delay }, 'outbox row could not be published; will retry');
      }
    }
    logger.debug({ claimed: rows.length, sent: sent.length, claimMs: Math.round(claimedAt - started), publishMs: Math.round(publishedAt - claimedAt) }, 'outbox batch published');
    // Only rows whose confirm came are marked (one statement, with the count when one is due), with the commit.
    const counted = sent.length > 0 ? counter.due(sent.length) : 0;
    return {
      value: { claimed: rows.length, afterFloor, sent: sent.length, counted, transient },
      last: sent.length > 0 ? markSent(schema, sent, retentionMs > 0, counted > 0 ? counter.write(schema, counted) : undefined) : undefined,
    };
  };

  const housekeeping = async () => {
    if (Date.now() - lastHousekeeping < 60_000) return;
    lastHousekeeping = Date.now();
    try {
      if (retentionMs > 0) {
        // In chunks (each its own short statement) until the expired rows are gone: one chunk a
        // minute fell behind any rate over 10,000 rows a minute, and the table grew for ever. At
        // most PRUNE_BUDGET_MS at a time, so the lane goes on publishing; the relay's next batch
        // goes on with what is left.
        const outbox = sql.id(schema, 'outbox');
        const until = Date.now() + PRUNE_BUDGET_MS;
        let deleted = PRUNE_CHUNK;
        while (deleted === PRUNE_CHUNK && running && Date.now() < until) {
          const result = await sql`delete from ${outbox} where seq in (select seq from ${outbox} where status = 'sent' and sent_at < now() - make_interval(secs => ${retentionMs / 1000}) limit ${PRUNE_CHUNK})`.execute(db);
          deleted = Number(result.numAffectedRows ?? 0n);
        }
        if (deleted === PRUNE_CHUNK) lastHousekeeping = 0; // more expired rows: again after the next batch
      }
      await sql`delete from ${sql.id(schema, 'outbox_throughput')} where bucket < now() - interval '1 hour'`.execute(db);
    } catch (err) {
      logger.warn({ err }, 'outbox housekeeping failed; will retry');
    }
  };

  /**
   * Writes what `counter` holds (the lane goes idle, backs off or stops); kept for a write a
   * second later if that fails. Committed without waiting for the disk (the count is statistics):
   * a lane that waits on a slow fsync here is a lane not publishing.
   */
  const writeCount = async (counter: ThroughputCounter): Promise<void> => {
    const rows = counter.pending;
    if (rows === 0) return;
    try {
      await transactions.run(db, COUNT_SETTINGS, async () => ({ value: undefined, last: counter.write(schema, rows) }));
      counter.committed(0, rows);
    } catch (err) {
      counter.failed();
      logger.warn({ err }, 'outbox relay could not write its throughput count; will retry');
    }
  };

  const loop = async (index: number) => {
    // Each loop counts under its own key: concurrent loops never wait on each other's counter row.
    const counter = new ThroughputCounter(index === 0 ? relayId : `${relayId}/${index}`);
    let failures = 0;
    while (running) {
      await ensureListening();
      let claimed = 0;
      let afterFloor = false;
      const mark = wakeups.mark();
      try {
        const outcome = await runBatch(index, counter);
        // Counted once committed: `published` never includes rows a failed commit puts back.
        if (outcome.claimed > 0) {
          counters.published += outcome.sent;
          counters.batches++;
          counter.committed(outcome.sent, outcome.counted);
        }
        claimed = outcome.claimed;
        afterFloor = outcome.afterFloor;
        if (outcome.transient !== undefined) throw outcome.transient;
        failures = 0;
      } catch (err) {
        failures++;
        counters.errors++;
        lastError = errorText(err);
        const delay = backoffDelay(failures - 1, { initialMs: 100, maxMs: 5000 });
        logger.warn({ err, delayMs: delay }, 'outbox relay batch failed; backing off');
        if (counter.due(0) > 0) await writeCount(counter); // a broker outage would otherwise hold the count until it ends
        if (running) await wakeups.pause(delay);
        continue;
      }
      await housekeeping();
      if (claimed >= batchSize) continue;
      if (afterFloor) continue; // rows below the floor may be waiting: the next claim starts from the start
      if (wakeups.takeOwed()) continue; // notified while every lane was busy
      // The lane woken for a row of an aggregate this batch held skipped it: claim again.
      if (ordering === 'aggregate' && wakeups.since(mark)) continue;
      if (counter.due(0) > 0) {
        await writeCount(counter); // idle: the count lags by at most about a second
        if (wakeups.takeOwed()) continue; // notified while it was written
      }
      // Rows counted less than a second after the last write: woken when they are due, not a poll later.
      if (running) await wakeups.sleep(Math.min(pollMs, counter.msUntilDue()));
    }
    await writeCount(counter);
  };

  const start = async (): Promise<void> => {
    if (running) return;
    running = true;
    lastListenAttempt = 0;
    await ensureListening();
    loops = Array.from({ length: concurrency }, (_, index) =>
      loop(index).catch((err: unknown) => {
        logger.error({ err }, 'outbox relay loop crashed');
      }),
    );
  };

  const stop = async (): Promise<void> => {
    if (!running && loops.length === 0) return;
    running = false;
    wakeups.all();
    const current = loops;
    loops = [];
    await Promise.all(current);
    const stopListening = unlisten;
    unlisten = undefined;
    if (stopListening) await stopListening().catch((err: unknown) => logger.warn({ err }, 'outbox relay UNLISTEN failed'));
  };

  // start and stop run in call order (a start during a stop would revive the loops it waits for).
  const steps = new SerialSteps();

  return {
    start: () => steps.run(start),
    stop: () => steps.run(stop),
    stats() {
      return { running, ...counters, unroutable: unroutable.stats().accepted, lastError };
    },
  };
}
