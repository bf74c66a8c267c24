import { ConfigurationError } from '@metro/core';
import type { Executor } from '@metro/outbox-pg';
import type { CompiledQuery, RawBuilder } from 'kysely';
import type { AnyDatabase } from './any-database.js';

/** Rows returned by a query run through {@link runOn}. */
export interface QueryRows<R> {
  readonly rows: R[];
  readonly affected: number;
}

interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

function isKyselyLike(executor: unknown): executor is AnyDatabase {
  return typeof (executor as { executeQuery?: unknown }).executeQuery === 'function';
}

/**
 * Runs a query on wherever the caller's write goes: a Kysely instance, a Kysely transaction, or a
 * raw `pg` client inside BEGIN/COMMIT. The query is compiled with `db` (the PostgreSQL dialect).
 */
export async function runOn<R>(db: AnyDatabase, executor: Executor | undefined, query: RawBuilder<R>): Promise<QueryRows<R>> {
  const target: unknown = executor ?? db;
  const compiled: CompiledQuery<R> = query.compile(db);
  if (isKyselyLike(target)) {
    const result = await target.executeQuery(compiled);
    return { rows: result.rows as R[], affected: Number(result.numAffectedRows ?? result.rows.length) };
  }
  const client = target as PgClientLike;
  if (typeof client.query !== 'function') {
    throw new ConfigurationError(
      'The executor is neither a Kysely instance or transaction nor a pg client: pass the trx of db.transaction(), a pg client inside BEGIN, or undefined.',
    );
  }
  const result = await client.query(compiled.sql, [...compiled.parameters]);
  return { rows: result.rows as R[], affected: result.rowCount ?? result.rows.length };
}
