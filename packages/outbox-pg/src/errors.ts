import { MetroError } from '@metro/core';

/** A schema or component name that is not a plain lower-case SQL identifier. */
export class InvalidIdentifierError extends MetroError {
  constructor(what: string, value: string) {
    super(
      'INVALID_IDENTIFIER',
      `Invalid ${what} "${value}": use lower-case letters, digits and '_' (starting with a letter or '_'), at most 48 characters.`,
      { details: { what, value } },
    );
  }
}

/** The executor passed to the outbox is neither a kysely instance/transaction nor a `pg` client. */
export class InvalidExecutorError extends MetroError {
  constructor(detail = '') {
    super(
      'INVALID_EXECUTOR',
      `The outbox needs the caller's transaction: a kysely Transaction (db.transaction().execute(trx => ...)) or a pg client inside BEGIN/COMMIT${detail}.`,
    );
  }
}

/** A failed message cannot be edited: it was never decoded into an envelope (bad bytes). */
export class FailureNotEditableError extends MetroError {
  constructor(id: string) {
    super(
      'FAILURE_NOT_EDITABLE',
      `Failed message ${id} has no decoded envelope (it failed to decode), so its payload cannot be edited. Retry it unchanged, or delete it.`,
      { details: { id } },
    );
  }
}

/** A migration failed; the whole migration run was rolled back. */
export class MigrationError extends MetroError {
  constructor(component: string, version: number, name: string, cause: unknown) {
    super(
      'MIGRATION_FAILED',
      `Migration ${component}#${version} "${name}" failed and nothing was applied: ${cause instanceof Error ? cause.message : String(cause)}. Fix the cause and run the migrations again.`,
      { cause, details: { component, version, name } },
    );
  }
}
