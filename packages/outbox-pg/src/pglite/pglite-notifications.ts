import type { PGlite } from '@electric-sql/pglite';
import type { NotificationSource } from '../database/notifications.js';

/**
 * Notifications from an in-process PGlite database.
 *
 * @example
 * ```ts
 * const pglite = new PGlite();
 * const relay = createOutboxRelay({ db, transport, listen: pgliteNotifications(pglite) });
 * ```
 */
export function pgliteNotifications(pglite: PGlite): NotificationSource {
  return {
    async listen(channel, onNotify) {
      const unlisten = await pglite.listen(channel, () => onNotify());
      return async () => {
        if (!pglite.closed) await unlisten();
      };
    },
  };
}
