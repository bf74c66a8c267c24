// @metro/outbox-pg/pglite: Metro's tables on PGlite (embedded PostgreSQL in WebAssembly), for demos
// and users' tests. A sub-entry so that users on a real PostgreSQL never load PGlite.
export type { PgliteDb } from './pglite/pglite.js';
export { createPgliteDb } from './pglite/pglite.js';
export { PgliteDialect } from './pglite/pglite-dialect.js';
export { pgliteNotifications } from './pglite/pglite-notifications.js';
