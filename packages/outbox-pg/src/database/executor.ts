import type { ClientBase } from 'pg';
import { Kysely, type CompiledQuery, type Transaction } from 'kysely';
import { InvalidExecutorError } from '../errors.js';

/**
 * Where a write goes: the caller's kysely transaction (or a kysely instance, for a write of its
 * own), or a raw `pg` client the caller has put inside `BEGIN` / `COMMIT`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = Kysely<any> | Transaction<any> | ClientBase;

/** Result rows and affected-row count of one statement, whatever ran it. */
export interface ExecutedQuery<R> {
  readonly rows: R[];
  readonly affected: number;
}

function isKysely(executor: unknown): executor is Kysely<unknown> {
  return (
    executor instanceof Kysely ||
    (typeof executor === 'object' &&
      executor !== null &&
      typeof (executor as { executeQuery?: unknown }).executeQuery === 'function' &&
      typeof (executor as { selectFrom?: unknown }).selectFrom === 'function')
  );
}

/** A `pg` Pool: it runs each query on whichever connection is free, so never in the caller's transaction. */
function isPgPool(executor: unknown): boolean {
  return typeof executor === 'object' && executor !== null && 'totalCount' in executor && 'idleCount' in executor && 'waitingCount' in executor;
}

function isPgClient(executor: unknown): executor is ClientBase {
  return typeof executor === 'object' && executor !== null && typeof (executor as { query?: unknown }).query === 'function';
}

/**
 * Runs a compiled query on an {@link Executor}.
 *
 * @example
 * ```ts
 * const compiled = db.selectFrom('t').selectAll().compile();
 * const { rows } = await execute(trxOrPgClient, compiled);
 * ```
 */
export async function execute<R>(executor: Executor, compiled: CompiledQuery<unknown>): Promise<ExecutedQuery<R>> {
  if (isKysely(executor)) {
    const result = await executor.executeQuery(compiled);
    return { rows: result.rows as R[], affected: Number(result.numAffectedRows ?? 0n) };
  }
  if (isPgPool(executor)) {
    throw new InvalidExecutorError(
      ', not a pg Pool (a pool runs each query on any free connection, outside your transaction): take a client with `const client = await pool.connect()`, run BEGIN, pass the client, then COMMIT and `client.release()`',
    );
  }
  if (isPgClient(executor)) {
    const result = await executor.query(compiled.sql, compiled.parameters as unknown[]);
    return { rows: result.rows as R[], affected: result.rowCount ?? 0 };
  }
  throw new InvalidExecutorError();
}
