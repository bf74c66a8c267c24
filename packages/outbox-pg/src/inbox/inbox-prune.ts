import { sql, type Kysely } from 'kysely';
import type { Logger } from '@metro/core';

/**
 * Deletes inbox rows processed longer than `retentionMs` ago, at most `chunkSize` per statement
 * (each statement its own short transaction, served by `inbox_processed_at_idx`), until a
 * statement deletes fewer than `chunkSize`. Rows another pruner has locked are skipped, so
 * instances pruning at once share the work instead of waiting on each other. Returns the rows deleted.
 */
export async function pruneInboxInChunks(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  schema: string,
  retentionMs: number,
  chunkSize: number,
): Promise<number> {
  const inbox = sql.id(schema, 'inbox');
  let total = 0;
  for (;;) {
    // By ctid: a Tid Scan of the rows picked (the rows are locked and inbox rows are never
    // updated, so their ctid holds), where an IN over the primary key gets a hash join of the whole table.
    const result = await sql`delete from ${inbox} where ctid = any(array(
      select ctid from ${inbox}
      where processed_at < now() - make_interval(secs => ${retentionMs / 1000})
      limit ${chunkSize} for update skip locked
    ))`.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    total += deleted;
    if (deleted < chunkSize) return total;
  }
}

/**
 * Runs `prune` in the background at most once per `intervalMs` (one at a time), when poked.
 * `poke` never throws and never waits: a failed prune is logged and tried again a full interval later.
 */
export class BackgroundPrune {
  private lastStartedAt = Number.NEGATIVE_INFINITY;
  private running = false;

  constructor(
    private readonly intervalMs: number,
    private readonly prune: () => Promise<number>,
    private readonly logger: Logger,
  ) {}

  poke(): void {
    if (this.intervalMs <= 0 || this.running || Date.now() - this.lastStartedAt < this.intervalMs) return;
    this.running = true;
    this.lastStartedAt = Date.now();
    void (async () => {
      try {
        const deleted = await this.prune();
        if (deleted > 0) this.logger.debug({ deleted }, 'inbox pruned');
      } catch (err) {
        this.logger.warn({ err }, 'inbox prune failed; the inbox keeps working and tries again after pruneInterval');
      } finally {
        this.running = false;
      }
    })();
  }
}
