import { MetroError } from '@metro/core';

/**
 * Every code `@metro/outbox-pg` raises, with what it means: the closed set behind
 * {@link OutboxPgErrorCode}. Each error class of this package passes one of these keys to
 * `MetroError` (core's own codes are in core's `CORE_ERROR_CODES`).
 *
 * @example
 * ```ts
 * if (err instanceof MetroError && err.code in OUTBOX_PG_ERROR_CODES) console.log(OUTBOX_PG_ERROR_CODES[err.code as OutboxPgErrorCode]);
 * ```
 */
export const OUTBOX_PG_ERROR_CODES = {
  INVALID_IDENTIFIER: 'A schema or component name is not a plain lower-case SQL identifier.',
  INVALID_EXECUTOR: "The outbox was given something other than the caller's transaction (a kysely transaction or a pg client inside BEGIN).",
  FAILURE_NOT_EDITABLE: 'A failed message that never decoded into an envelope cannot have its payload edited.',
  MIGRATION_FAILED: 'A migration failed and the whole migration run was rolled back.',
} as const;

/** A code `@metro/outbox-pg` raises: a key of {@link OUTBOX_PG_ERROR_CODES}. */
export type OutboxPgErrorCode = keyof typeof OUTBOX_PG_ERROR_CODES;

/**
 * A schema or component name that is not a plain lower-case SQL identifier.
 *
 * @example
 * ```ts
 * migrate(db, { schema: 'Billing' }); // rejects with InvalidIdentifierError (code INVALID_IDENTIFIER)
 * ```
 */
export class InvalidIdentifierError extends MetroError<'INVALID_IDENTIFIER'> {
  constructor(what: string, value: string) {
    super(
      'INVALID_IDENTIFIER' satisfies OutboxPgErrorCode,
      `Invalid ${what} "${value}": use lower-case letters, digits and '_' (starting with a letter or '_'), at most 48 characters.`,
      { details: { what, value } },
    );
  }
}

/**
 * The executor passed to the outbox is neither a kysely instance/transaction nor a `pg` client.
 *
 * @example
 * ```ts
 * await outbox.publish(pool, OrderPlaced, payload); // rejects: a pg Pool is not the caller's transaction
 * ```
 */
export class InvalidExecutorError extends MetroError<'INVALID_EXECUTOR'> {
  constructor(detail = '') {
    super(
      'INVALID_EXECUTOR' satisfies OutboxPgErrorCode,
      `The outbox needs the caller's transaction: a kysely Transaction (db.transaction().execute(trx => ...)) or a pg client inside BEGIN/COMMIT${detail}.`,
    );
  }
}

/**
 * A failed message cannot be edited: it was never decoded into an envelope (bad bytes).
 *
 * @example
 * ```ts
 * try { await failures.editAndRetry(id, payload); } catch (err) { if (err instanceof FailureNotEditableError) await failures.retry(id); else throw err; }
 * ```
 */
export class FailureNotEditableError extends MetroError<'FAILURE_NOT_EDITABLE'> {
  constructor(id: string) {
    super(
      'FAILURE_NOT_EDITABLE' satisfies OutboxPgErrorCode,
      `Failed message ${id} has no decoded envelope (it failed to decode), so its payload cannot be edited. Retry it unchanged, or delete it.`,
      { details: { id } },
    );
  }
}

/**
 * A migration failed; the whole migration run was rolled back.
 *
 * @example
 * ```ts
 * await migrate(db).catch((err) => { if (err instanceof MigrationError) console.error(err.details); throw err; });
 * ```
 */
export class MigrationError extends MetroError<'MIGRATION_FAILED'> {
  constructor(component: string, version: number, name: string, cause: unknown) {
    super(
      'MIGRATION_FAILED' satisfies OutboxPgErrorCode,
      `Migration ${component}#${version} "${name}" failed and nothing was applied: ${cause instanceof Error ? cause.message : String(cause)}. Fix the cause and run the migrations again.`,
      { cause, details: { component, version, name } },
    );
  }
}
