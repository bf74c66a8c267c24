import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { TRPCError } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { authRequest, bearerToken } from '../auth/authorizer.js';
import type { Principal } from '../auth/roles.js';
import { isApiPath, type ApiSettings } from './api-settings.js';
import { originAllowed } from './http-guard.js';
import { signIn, type Credentials } from './sign-in.js';
import { SocketRegistry } from './socket-registry.js';
import type { ResolvedWebSocketLimits } from './websocket-limits.js';

/** What the upgrade of a socket established: its credentials, and the principal of an `Authorization` header. */
interface Upgrade {
  readonly credentials: Credentials;
  readonly principal: Principal | null;
}

const upgrades = new WeakMap<IncomingMessage, Upgrade>();

function paramsOf(raw: Record<string, unknown> | null | undefined): Record<string, string> | null {
  if (raw === null || raw === undefined) return null;
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') params[k] = v;
  return params;
}

/**
 * Serves the admin API over WebSocket on `server`'s upgrades under the prefix. Upgrades are
 * refused past the socket caps (503 in total, 429 per address), from a throttled address (429),
 * or with a wrong `Authorization` header (401). A socket must sign in (that header, or
 * `connectionParams.token` as its first message) within the deadline or is closed; each call on
 * it is authorized again with its procedure, and subscriptions are re-checked. `close()` tells
 * clients to reconnect and drops them.
 */
export function attachWebSocketApi(
  server: Server,
  settings: ApiSettings,
  limits: ResolvedWebSocketLimits,
): { close(): Promise<void>; readonly registry: SocketRegistry } {
  const { admin, prefix, maxBody, maxBatch, cors, throttle } = settings;
  const registry = new SocketRegistry(limits);
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBody });
  const wsHandler = applyWSSHandler({
    wss,
    router: admin.router,
    maxBatchSize: maxBatch,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    createContext: async ({ req, res, info }) => {
      const upgrade = upgrades.get(req);
      const base = upgrade?.credentials ?? { token: undefined, connectionParams: null, remoteAddress: settings.clientAddress(req) };
      const connectionParams = paramsOf(info.connectionParams);
      const credentials: Credentials = upgrade?.principal ? base : { ...base, token: connectionParams?.['token'], connectionParams };
      if (!upgrade?.principal && (await signIn(settings, req, 'ws', credentials, [null])) === null) {
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Missing or invalid admin token on the WebSocket: pass connectionParams { token }.' });
      }
      registry.signedIn(res as WebSocket);
      return admin.createContext({
        transport: 'ws',
        clientAddress: credentials.remoteAddress ?? null,
        principalFor: async (call) => (await admin.authorize(authRequest(req, 'ws', credentials, call))) ?? null,
        live: { maxSubscriptions: limits.maxSubscriptionsPerSocket, recheckMs: limits.recheckMs, active: 0 },
      });
    },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') admin.logger.error({ err: error.cause ?? error, procedure: path }, 'admin procedure failed');
    },
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string, headers = '') => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${headers}Content-Length: 0\r\n\r\n`);
    };
    socket.on('error', () => socket.destroy());
    const address = settings.clientAddress(req) ?? 'unknown';
    const full = registry.refusal(address);
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      return refuse(400, 'Bad Request');
    }
    if (!isApiPath(pathname, prefix)) return refuse(404, 'Not Found');
    if (!originAllowed(req, cors)) return refuse(403, 'Forbidden');
    if (full) return refuse(full.status, full.text);
    const blockedMs = throttle?.retryAfterMs(address) ?? 0;
    if (blockedMs > 0) return refuse(429, 'Too Many Requests', `Retry-After: ${Math.max(1, Math.ceil(blockedMs / 1000))}\r\n`);
    const release = registry.reserve(address);
    socket.once('close', release);
    void (async () => {
      const credentials: Credentials = { token: bearerToken(req.headers.authorization), connectionParams: null, remoteAddress: address };
      let principal: Principal | null = null;
      if (req.headers.authorization !== undefined) {
        principal = (await signIn(settings, req, 'ws', credentials, [null]))?.get('') ?? null;
        if (principal === null) return refuse(401, 'Unauthorized');
      }
      upgrades.set(req, { credentials, principal });
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.once('close', release);
        if (principal === null) registry.startDeadline(ws);
        wss.emit('connection', ws, req);
      });
    })().catch((err: unknown) => {
      admin.logger.error({ err }, 'WebSocket upgrade failed');
      refuse(500, 'Internal Server Error');
    });
  });

  return {
    registry,
    async close() {
      wsHandler.broadcastReconnectNotification();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
