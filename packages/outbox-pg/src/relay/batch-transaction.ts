import { sql, type Kysely, type RawBuilder } from 'kysely';

/** What the work of a {@link BatchTransaction} returns: its value, and the statement to commit with. */
export interface BatchWork<T> {
  readonly value: T;
  /**
   * Run just before `commit`, in the same round trip when it holds no parameters (build it with
   * `sql.lit` and `sql.id`); one with parameters takes a round trip of its own.
   */
  readonly last?: RawBuilder<unknown> | undefined;
}

/**
 * A transaction in as few round trips as the driver allows. node-postgres runs a query without
 * parameters as a simple query, which may hold several statements: `begin` goes with the
 * transaction's settings, and the work's last statement with `commit`, so the outbox relay's
 * batch takes three round trips (begin, claim, mark and commit) instead of five: each round trip
 * costs the relay and PostgreSQL a socket write and a wake-up. A driver that prepares every query
 * (PGlite's) refuses several statements in one (SQLSTATE 42601, before running any); the first
 * refusal switches this instance to one statement per round trip.
 *
 * @example
 * ```ts
 * const batches = new BatchTransaction({ onRollbackFailed: (err) => logger.warn({ err }, 'rollback failed') });
 * const claimed = await batches.run(db, "select set_config('synchronous_commit', 'off', true)", async (trx) => {
 *   const rows = await sql`select id from jobs for update skip locked limit 10`.execute(trx);
 *   return { value: rows.rows.length, last: sql`delete from jobs where id = any(${sql.lit('{1,2}')}::bigint[])` };
 * });
 * ```
 */
export class BatchTransaction {
  /** Unknown until the first `begin`. */
  private multiStatement: boolean | undefined;

  constructor(private readonly options: { readonly onRollbackFailed?: (err: unknown) => void } = {}) {}

  /**
   * Runs `work` on one connection of `db` in a transaction: `begin` and `settings` (a statement
   * without parameters), the work, then its `last` statement and `commit`. Any error rolls back
   * and rejects with that error; a rollback that fails too is reported to `onRollbackFailed`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run<T>(db: Kysely<any>, settings: string, work: (trx: Kysely<any>) => Promise<BatchWork<T>>): Promise<T> {
    return db.connection().execute(async (conn) => {
      try {
        await this.begin(conn, settings);
        const { value, last } = await work(conn);
        await this.commit(conn, last);
        return value;
      } catch (err) {
        // Also after a failed `begin`: its transaction may be open (a rollback outside one is only a warning).
        await sql
          .raw('rollback')
          .execute(conn)
          .catch((rollbackError: unknown) => this.options.onRollbackFailed?.(rollbackError));
        throw err;
      }
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async begin(conn: Kysely<any>, settings: string): Promise<void> {
    if (this.multiStatement !== false) {
      try {
        await sql.raw(`begin; ${settings}`).execute(conn);
        this.multiStatement = true;
        return;
      } catch (err) {
        // Only the first attempt tells: `settings` is the caller's constant, so a 42601 then is the refusal.
        if (this.multiStatement === true || (err as { code?: unknown } | null)?.code !== '42601') throw err;
        this.multiStatement = false;
      }
    }
    await sql.raw('begin').execute(conn);
    await sql.raw(settings).execute(conn);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async commit(conn: Kysely<any>, last: RawBuilder<unknown> | undefined): Promise<void> {
    if (last === undefined) {
      await sql.raw('commit').execute(conn);
      return;
    }
    if (this.multiStatement === true) {
      const combined = sql`${last}; commit`.compile(conn);
      // Parameters would make it a prepared statement, which holds one statement only.
      if (combined.parameters.length === 0) {
        await conn.executeQuery(combined);
        return;
      }
    }
    await last.execute(conn);
    await sql.raw('commit').execute(conn);
  }
}
