import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import type { NotificationSource } from '../database/notifications.js';
import { pgliteNotifications } from './pglite-notifications.js';
import { PgliteDialect } from './pglite-dialect.js';

/** What {@link createPgliteDb} returns. */
export interface PgliteDb {
  /** Kysely over the PGlite database; `db.destroy()` closes PGlite. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  /** The PGlite instance (the one passed in, or a new in-memory one). */
  readonly pglite: PGlite;
  /** Its notifications, for `createOutboxRelay({ listen })`. */
  readonly notifications: NotificationSource;
}

/**
 * A kysely instance over PGlite (embedded PostgreSQL, in memory by default): for the demo and
 * for users' tests, where no PostgreSQL server is at hand. `db.destroy()` closes PGlite.
 *
 * @example
 * ```ts
 * const { db, notifications } = createPgliteDb();
 * await migrate(db);
 * const relay = createOutboxRelay({ db, transport: new InMemoryTransport(), listen: notifications });
 * ```
 */
export function createPgliteDb(pglite?: PGlite): PgliteDb {
  const instance = pglite ?? new PGlite();
  return { db: new Kysely({ dialect: new PgliteDialect(instance) }), pglite: instance, notifications: pgliteNotifications(instance) };
}
