import type { Pool, PoolClient } from 'pg';
import { backoffDelay, defaultLogger, type Logger } from '@metro/core';
import { handlePoolErrors } from './pool-errors.js';

/**
 * A source of PostgreSQL notifications (LISTEN/NOTIFY). `listen` resolves once listening and
 * returns a function that stops. Implementations re-listen after a lost connection and then
 * call `onNotify` once, so nothing sent while disconnected is missed.
 */
export interface NotificationSource {
  /** Calls `onNotify` for each notification on `channel`; resolves, once listening, with the function that stops. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
}

/** Options of {@link pgNotifications}. */
export interface PgNotificationsOptions {
  /** Where lost connections and failed reconnects go (`warn`). Default: core's `defaultLogger` (stderr). */
  readonly logger?: Logger;
  /** Longest wait between reconnect attempts. Default 5000 ms. */
  readonly maxReconnectDelayMs?: number;
}

/**
 * Notifications over a `pg` Pool: each `listen` holds one client of the pool on `LISTEN` and
 * reconnects (with backoff) when the connection drops. Also calls {@link handlePoolErrors} on
 * the pool, so a dropped connection does not crash the process.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString });
 * const relay = createOutboxRelay({ db, transport, listen: pgNotifications(pool) });
 * ```
 */
export function pgNotifications(pool: Pool, options: PgNotificationsOptions = {}): NotificationSource {
  const logger = options.logger ?? defaultLogger;
  const maxDelay = options.maxReconnectDelayMs ?? 5000;
  handlePoolErrors(pool, { logger });
  return {
    async listen(channel, onNotify) {
      let stopped = false;
      let client: PoolClient | undefined;
      let timer: NodeJS.Timeout | undefined;
      let failures = 0;
      const quoted = `"${channel.replace(/"/g, '""')}"`;

      const connect = async (): Promise<void> => {
        const c = await pool.connect();
        let released = false;
        const drop = (err: unknown) => {
          if (released) return;
          released = true;
          logger.warn({ err, channel }, 'LISTEN connection lost; reconnecting');
          c.removeAllListeners('notification');
          c.release(err instanceof Error ? err : true);
          if (client === c) client = undefined;
          schedule();
        };
        c.on('error', drop);
        c.on('end', () => drop(new Error('connection ended')));
        c.on('notification', (msg) => {
          if (msg.channel === channel) onNotify();
        });
        try {
          await c.query(`LISTEN ${quoted}`);
        } catch (err) {
          drop(err);
          throw err;
        }
        if (stopped) {
          released = true;
          c.release(true);
          return;
        }
        client = c;
        (c as PoolClient & { __metroRelease?: () => void }).__metroRelease = () => {
          released = true;
          c.removeAllListeners('notification');
          c.release(true);
        };
      };

      const schedule = () => {
        if (stopped || timer !== undefined) return;
        const delay = backoffDelay(failures, { initialMs: 100, maxMs: maxDelay });
        failures++;
        timer = setTimeout(() => {
          timer = undefined;
          connect().then(
            () => {
              failures = 0;
              onNotify(); // catch up on anything sent while we were not listening
            },
            (err: unknown) => {
              logger.warn({ err, channel }, 'LISTEN reconnect failed; will retry');
              schedule();
            },
          );
        }, delay);
        timer.unref?.();
      };

      await connect();
      return async () => {
        stopped = true;
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        const c = client as (PoolClient & { __metroRelease?: () => void }) | undefined;
        client = undefined;
        c?.__metroRelease?.();
      };
    },
  };
}
