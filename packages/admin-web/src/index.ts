// @metro/admin-web public entry: where the built dashboard lies, for the admin server to serve.
// The dashboard itself (src/dashboard/, a browser bundle) is not imported from Node.
import { fileURLToPath } from 'node:url';

/**
 * The absolute path of the built dashboard (`index.html`, `app.js`, `styles.css`) inside this
 * package: give it to the admin server as `staticDir`, and it serves the dashboard at `/`, on the
 * same origin as the API.
 *
 * @example
 * ```ts
 * import { createAdminServer } from '@metro/admin-trpc';
 * import { dashboardDir } from '@metro/admin-web';
 *
 * const server = await createAdminServer({ router: admin, port: 4400, staticDir: dashboardDir });
 * // open http://127.0.0.1:4400 and sign in with the token
 * ```
 */
export const dashboardDir: string = fileURLToPath(new URL('./dashboard', import.meta.url));
