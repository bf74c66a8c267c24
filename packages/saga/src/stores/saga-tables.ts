import { DEFAULT_SCHEMA } from '@metro/outbox-pg';
import { ConfigurationError } from '@metro/core';
import { sql, type RawBuilder } from 'kysely';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** The saga table of one schema, as an SQL fragment. */
export interface SagaTables {
  readonly schema: string;
  readonly sagas: RawBuilder<unknown>;
}

/** Checks the schema name (lower-case letters, digits, `_`, as outbox-pg's) and returns the table reference. */
export function sagaTables(schema: string | undefined): SagaTables {
  const name = schema ?? DEFAULT_SCHEMA;
  if (!IDENTIFIER.test(name)) {
    throw new ConfigurationError(`Invalid schema name "${name}": use lower-case letters, digits and '_' (up to 48 characters), starting with a letter or '_'.`);
  }
  return { schema: name, sagas: sql.id(name, 'sagas') };
}
