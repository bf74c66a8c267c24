import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { TRPCError } from '@trpc/server';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { bearerToken, type AuthRequest, type Principal } from './auth.js';
import { AdminAuthRequiredError, AdminServerError } from './errors.js';
import { DEFAULT_MAX_BODY_BYTES, isJsonContentType, jsonProblem, originAllowed, readBody, sendError } from './http-guard.js';
import type { AdminRouter } from './router/app-router.js';
import { checkStaticDir, serveStatic } from './static-files.js';

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
}

/** A running admin server. */
export interface AdminServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** Closes sockets and stops listening. Does not close the router. Safe to call twice. */
  close(): Promise<void>;
}

const principals = new WeakMap<IncomingMessage, Principal>();

function authRequest(req: IncomingMessage, transport: 'http' | 'ws', token: string | undefined, connectionParams: Record<string, string> | null): AuthRequest {
  return { transport, token, headers: req.headers, connectionParams, remoteAddress: req.socket.remoteAddress };
}

/**
 * Serves the admin API over HTTP (queries and mutations) and WebSocket (subscriptions) on one
 * port, and optionally the dashboard. Mutations need `Content-Type: application/json` and a valid
 * `Authorization: Bearer` header; bodies over the limit get 413; cross-origin browsers are refused
 * unless listed in `corsOrigins`. A `staticDir` without an `index.html` is refused at start
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
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const cors = options.corsOrigins ?? [];
  const logger = admin.logger;
  if (options.staticDir !== undefined) await checkStaticDir(options.staticDir);

  async function authenticateHttp(req: IncomingMessage): Promise<Principal | null> {
    const token = bearerToken(req.headers.authorization);
    return (await admin.authorize(authRequest(req, 'http', token, null))) ?? null;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined && cors.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('access-control-allow-methods', 'GET, POST');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (!originAllowed(req, cors)) return sendError(res, 403, 'FORBIDDEN', 'Cross-origin requests are refused. Add the origin to corsOrigins to allow it.');
    if (req.method !== 'GET' && req.method !== 'POST') return sendError(res, 405, 'METHOD_NOT_SUPPORTED', 'Use GET for queries and POST for mutations.');
    const principal = await authenticateHttp(req);
    if (req.method === 'POST') {
      if (!isJsonContentType(req.headers['content-type'])) {
        return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Mutations need `Content-Type: application/json`.');
      }
      if (principal === null) return sendError(res, 401, 'UNAUTHORIZED', 'Missing or invalid admin token: send `Authorization: Bearer <token>`.');
      const body = await readBody(req, maxBody);
      if (body === 'too-large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request body over ${maxBody} bytes. Send fewer ids per call.`);
      const problem = jsonProblem(body);
      if (problem !== undefined) return sendError(res, 400, 'BAD_REQUEST', problem);
      (req as IncomingMessage & { body?: unknown }).body = body;
    } else if ((req.url ?? '').length > 16 * 1024) {
      return sendError(res, 414, 'URI_TOO_LONG', 'Query input too large.');
    }
    await nodeHTTPRequestHandler({
      router: admin.router,
      req,
      res,
      path: pathname.slice(prefix.length + 1),
      maxBodySize: maxBody,
      createContext: () => admin.createContext(principal, 'http'),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') logger.error({ err: error.cause ?? error, procedure: path }, 'admin procedure failed');
      },
    });
  }

  const server: Server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const work =
      pathname === prefix || pathname.startsWith(prefix + '/')
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

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBody });
  const wsHandler = applyWSSHandler({
    wss,
    router: admin.router,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    createContext: async ({ req, info }) => {
      const fromUpgrade = principals.get(req);
      if (fromUpgrade) return admin.createContext(fromUpgrade, 'ws');
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(info.connectionParams ?? {})) if (typeof v === 'string') params[k] = v;
      const principal = (await admin.authorize(authRequest(req, 'ws', params['token'], info.connectionParams ? params : null))) ?? null;
      if (principal === null) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Missing or invalid admin token on the WebSocket: pass connectionParams { token }.' });
      return admin.createContext(principal, 'ws');
    },
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    socket.on('error', () => socket.destroy());
    void (async () => {
      const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (pathname !== prefix && !pathname.startsWith(prefix + '/')) return refuse(404, 'Not Found');
      if (!originAllowed(req, cors)) return refuse(403, 'Forbidden');
      if (req.headers.authorization !== undefined) {
        const token = bearerToken(req.headers.authorization);
        const principal = (await admin.authorize(authRequest(req, 'ws', token, null))) ?? null;
        if (principal === null) return refuse(401, 'Unauthorized');
        principals.set(req, principal);
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    })().catch((err: unknown) => {
      logger.error({ err }, 'WebSocket upgrade failed');
      refuse(500, 'Internal Server Error');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new AdminServerError(`The admin server could not listen on ${host}:${options.port}: ${err.message}. Pick another port.`, { cause: err })));
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
        wsHandler.broadcastReconnectNotification();
        for (const client of wss.clients) client.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
