import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { TRPCError } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';
import { authRequest, bearerToken, type Principal } from '../auth.js';
import { isApiPath, type ApiSettings } from './api-settings.js';
import { originAllowed } from './http-guard.js';

/** The principal a WebSocket upgrade authenticated with its `Authorization` header. */
const principals = new WeakMap<IncomingMessage, Principal>();

/**
 * Serves the admin API's subscriptions over WebSocket on `server`'s upgrades under the prefix.
 * The caller authenticates on the upgrade (`Authorization: Bearer`, refused with 401) or with
 * `connectionParams.token` (refused as tRPC `UNAUTHORIZED`). `close()` tells clients to
 * reconnect and drops them.
 */
export function attachWebSocketApi(server: Server, settings: ApiSettings): { close(): Promise<void> } {
  const { admin, prefix, maxBody, cors } = settings;
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
      if (principal === null)
        throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Missing or invalid admin token on the WebSocket: pass connectionParams { token }.' });
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
      if (!isApiPath(pathname, prefix)) return refuse(404, 'Not Found');
      if (!originAllowed(req, cors)) return refuse(403, 'Forbidden');
      if (req.headers.authorization !== undefined) {
        const token = bearerToken(req.headers.authorization);
        const principal = (await admin.authorize(authRequest(req, 'ws', token, null))) ?? null;
        if (principal === null) return refuse(401, 'Unauthorized');
        principals.set(req, principal);
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    })().catch((err: unknown) => {
      admin.logger.error({ err }, 'WebSocket upgrade failed');
      refuse(500, 'Internal Server Error');
    });
  });

  return {
    async close() {
      wsHandler.broadcastReconnectNotification();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
