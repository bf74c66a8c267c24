import { UnroutableEvents, type Logger } from '@metro/core';

/** Counters of one relay since it was created. */
export interface OutboxRelayStats {
  /** Between `start()` and `stop()`. */
  readonly running: boolean;
  /** Rows published and marked sent. */
  readonly published: number;
  /** Batches committed that claimed at least one row. */
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
  /** The last batch error, as `Name: message`; `null` until one happens. */
  readonly lastError: string | null;
}

/** What a relay's lanes count as they run; {@link RelayCounters.stats} reports it. */
export class RelayCounters {
  published = 0;
  batches = 0;
  retried = 0;
  failed = 0;
  errors = 0;
  lastError: string | null = null;
  /** For `relay.health()`: when a batch last published rows, and when one last failed. */
  lastSuccessAt: number | null = null;
  lastErrorAt: number | null = null;
  /** Accepted unroutable event rows, logged once per topic and subject. */
  readonly unroutable: UnroutableEvents;

  constructor(logger: Logger) {
    this.unroutable = new UnroutableEvents(logger);
  }

  /** The relay's {@link OutboxRelayStats}. */
  stats(running: boolean): OutboxRelayStats {
    const { published, batches, retried, failed, errors, lastError } = this;
    return { running, published, batches, retried, failed, errors, unroutable: this.unroutable.stats().accepted, lastError };
  }
}
