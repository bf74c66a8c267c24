import { isUnroutable, type Transport, type UnroutableEvents } from '@metro/core';
import { beginStoredPublish, messagingSystemOf } from '@metro/core/telemetry';
import { relayed, relayFailed } from './relay-telemetry.js';
import type { ClaimedRow } from './outbox-claim.js';

/** How the publish of one row of a batch ended; `skipped`: not tried, an earlier row of its aggregate failed. */
export type PublishOutcome = { readonly ok: true } | { readonly ok: false; readonly error: unknown; readonly skipped?: boolean };

const SENT: PublishOutcome = { ok: true };

/**
 * Publishes a claimed batch and waits for all its confirms with one await. Without ordering every
 * row is published at once; with `aggregate` ordering, rows of one aggregate go one after the
 * other (a row is published only once the previous one of its aggregate is confirmed), and the
 * rest of an aggregate's rows are skipped after a failure.
 *
 * @example
 * ```ts
 * const publisher = new BatchPublisher(transport, 'aggregate', new UnroutableEvents(logger));
 * const outcomes = await publisher.publish(rows); // outcomes[i] is rows[i]'s
 * ```
 */
export class BatchPublisher {
  private readonly system: string;

  constructor(
    private readonly transport: Transport,
    private readonly ordering: 'none' | 'aggregate',
    private readonly unroutable: UnroutableEvents,
  ) {
    this.system = messagingSystemOf(transport.name);
  }

  /** Publishes `rows`; resolves with one outcome per row, in the same order. */
  async publish(rows: ClaimedRow[]): Promise<PublishOutcome[]> {
    if (this.ordering !== 'aggregate') {
      const settled = await Promise.allSettled(rows.map((row) => this.publishRow(row)));
      return settled.map((s) => (s.status === 'fulfilled' ? SENT : { ok: false, error: s.reason as unknown }));
    }
    return this.publishByAggregate(rows);
  }

  /**
   * Publishes one row: a topic row under the `accept` policy that no queue receives resolves
   * (logged and counted); any other failure rejects.
   */
  private publishRow(row: ClaimedRow): Promise<void> {
    const traced = beginStoredPublish(this.system, row.message, '@metro/outbox-pg');
    const message = traced?.message ?? row.message;
    const published =
      row.unroutable === 'accept' && message.destination.kind === 'topic'
        ? this.transport.publish(message).catch((err: unknown) => {
            if (!isUnroutable(err)) throw err;
            this.unroutable.record(message);
          })
        : this.transport.publish(message);
    return traced === undefined
      ? published
      : published.then(
          () => relayed(traced.telemetry, message),
          (err: unknown) => relayFailed(traced.telemetry, err),
        );
  }

  /** Rows without an aggregate at once, each aggregate's rows as one chain, one after the other. */
  private async publishByAggregate(rows: ClaimedRow[]): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = new Array<PublishOutcome>(rows.length);
    const chains = new Map<string, number[]>();
    const inFlight: Promise<void>[] = [];
    rows.forEach((row, i) => {
      if (row.aggregateId === null) {
        inFlight.push(
          this.publishRow(row).then(
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
          await this.publishRow(rows[i]!);
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
  }
}
