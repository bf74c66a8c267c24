import { createServer, type IncomingMessage, type Server } from 'node:http';
import { AdminAuthRequiredError, AdminServerError } from '../errors.js';
import type { AdminRouter } from '../router/app-router.js';
import { isApiPath, type ApiSettings } from './api-settings.js';
import { createHttpApi } from './http-api.js';
import { DEFAULT_MAX_BODY_BYTES, sendError } from './http-guard.js';
import { SignInThrottle, type SignInThrottleOptions } from './sign-in-throttle.js';
import { resolveLimits, type WebSocketLimits } from './websocket-limits.js';
import { checkStaticDir, serveStatic } from './static-files.js';
import { attachWebSocketApi } from './websocket-api.js';

export type { SignInThrottleOptions, WebSocketLimits };

/** Options of {@link createAdminServer}. */
export interface AdminServerOptions {
  /** The router from `createAdminRouter` (it carries the `authorize` the server enforces). */
  readonly router: AdminRouter;
  /** Port to listen on; `0` picks a free one (see `server.port`). */
  readonly port: number;
  /** Interface to bind. Default `'127.0.0.1'`: put a TLS proxy in front before exposing it. */
  readonly host?: string;
  /**
   * Serve the dashboard's files from this directory at `/`: `dashboardDir` from `@metro/admin-web`.
   * It must exist and hold an `index.html`, or `createAdminServer` throws `AdminStaticDirError`.
   */
  readonly staticDir?: string;
  /** URL prefix of the API (HTTP and WebSocket). Default `'/trpc'`. */
  readonly prefix?: string;
  /** Largest accepted request body. Default 1 MiB (bigger: 413). */
  readonly maxBodyBytes?: number;
  /** Cross-origin browser origins allowed to call (CORS). Default none: CORS off. */
  readonly corsOrigins?: ReadonlyArray<string>;
  /** Most calls in one tRPC batch, over HTTP and WebSocket (more: 400). Default 10. */
  readonly maxBatchSize?: number;
  /** WebSocket limits: sign-in deadline (5 s), sockets in total (500) and per address (20), subscriptions per socket (10), re-check interval (1 s). */
  readonly websocket?: WebSocketLimits;
  /** Refused sign-ins per client address before it gets 429 with `Retry-After` (default 10 in 60 s, blocked 60 s); `false` turns it off. */
  readonly signInThrottle?: SignInThrottleOptions | false;
  /**
   * The client address of a request, for the throttle, the socket caps and the audit trail.
   * Default the socket's peer address. Behind a reverse proxy, read the header it sets (and only
   * trust it from the proxy), e.g. `(req) => String(req.headers['x-real-ip'] ?? req.socket.remoteAddress)`.
   */
  readonly clientAddress?: (req: IncomingMessage) => string | undefined;
}

/** A running admin server. */
export interface AdminServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** Closes sockets and stops listening. Does not close the router. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves the admin API over HTTP (queries and mutations) and WebSocket (subscriptions) on one
 * port, and optionally the dashboard. Every call needs a valid `Authorization: Bearer` header
 * (401, audited; too many refusals from one address get 429) and a role that allows it (403);
 * mutations need `Content-Type: application/json`; bodies over the limit get 413, batches over
 * `maxBatchSize` 400; cross-origin browsers are refused unless listed in `corsOrigins`.
 * WebSockets must sign in within 5 s and are capped in total and per address. A `staticDir` without an `index.html` is refused at start
 * (`AdminStaticDirError`), before the port is taken.
 *
 * @example
 * ```ts
 * import { dashboardDir } from '@metro/admin-web';
 * const server = await createAdminServer({ router: admin, port: 4400, staticDir: dashboardDir });
 * console.log(`admin on ${server.url}`);
 * ```
 */
export async function createAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const admin = options.router;
  if (!admin || typeof admin.authorize !== 'function') throw new AdminAuthRequiredError();
  const host = options.host ?? '127.0.0.1';
  const prefix = (options.prefix ?? '/trpc').replace(/\/$/, '');
  const logger = admin.logger;
  if (options.staticDir !== undefined) await checkStaticDir(options.staticDir);

  const settings: ApiSettings = {
    admin,
    prefix,
    maxBody: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxBatch: options.maxBatchSize ?? 10,
    cors: options.corsOrigins ?? [],
    throttle: options.signInThrottle === false ? undefined : new SignInThrottle(options.signInThrottle),
    clientAddress: options.clientAddress ?? ((req) => req.socket.remoteAddress),
  };
  const handleApi = createHttpApi(settings);
  const server: Server = createServer((req, res) => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return sendError(res, 400, 'BAD_REQUEST', 'Malformed request URL.');
    }
    const work = isApiPath(pathname, prefix)
      ? handleApi(req, res, pathname)
      : options.staticDir !== undefined && (req.method === 'GET' || req.method === 'HEAD')
        ? serveStatic(options.staticDir, req, res)
        : Promise.resolve(sendError(res, 404, 'NOT_FOUND', 'Not found.'));
    work.catch((err: unknown) => {
      logger.error({ err }, 'admin request failed');
      sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal error.');
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 15_000;
  const websocket = attachWebSocketApi(server, settings, resolveLimits(options.websocket));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new AdminServerError(`The admin server could not listen on ${host}:${options.port}: ${err.message}. Pick another port.`, { cause: err })),
    );
    server.listen(options.port, host, () => resolve());
  });
  server.on('error', (err) => logger.error({ err }, 'admin server error'));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        await websocket.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
