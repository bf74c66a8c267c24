/**
 * Where the worker hears about new due times: LISTEN/NOTIFY. Structurally the same as
 * `NotificationSource` from `@metro/outbox-pg` (`pgNotifications(pool)`, `pgliteNotifications(pglite)`).
 */
export interface NotificationSource {
  /** Starts listening on `channel`; resolves with a function that stops listening. */
  listen(channel: string, onNotify: (payload?: string) => void): Promise<() => Promise<void>>;
}
