import { ConfigurationError } from '@metro/core';
import { sql, type RawBuilder } from 'kysely';

/** The schema Metro's tables live in when none is given. */
export const DEFAULT_SCHEMA = 'metro';

/**
 * Schedules due further ahead than this send no NOTIFY (a notifying commit serializes with every
 * other one): workers never sleep longer than this, so their next look finds them in time.
 */
export const NOTIFY_HORIZON_MS = 60_000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

/** Checks a schema name (letters, digits, `_`; starting with a letter or `_`) and returns it. */
export function checkSchema(schema: string | undefined): string {
  const name = schema ?? DEFAULT_SCHEMA;
  if (!IDENTIFIER.test(name)) {
    throw new ConfigurationError(`Invalid schema name "${name}": use letters, digits and '_' (up to 48 characters), starting with a letter or '_'.`);
  }
  return name;
}

/** The scheduler's table names in one schema, as SQL fragments. */
export interface SchedulerTables {
  readonly schema: string;
  readonly scheduled: RawBuilder<unknown>;
  readonly recurring: RawBuilder<unknown>;
  /** The LISTEN/NOTIFY channel the scheduler signals new earlier due times on. */
  readonly channel: string;
}

/** Table references and the notification channel for `schema`. */
export function schedulerTables(schema: string | undefined): SchedulerTables {
  const name = checkSchema(schema);
  return {
    schema: name,
    scheduled: sql.id(name, 'scheduled_messages'),
    recurring: sql.id(name, 'recurring_schedules'),
    channel: `metro_scheduler_${name.toLowerCase()}`,
  };
}
