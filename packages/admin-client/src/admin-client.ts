import { createTRPCClient, createWSClient, httpLink, splitLink, wsLink, type TRPCClient } from '@trpc/client';
// Bundled into dist by build.mjs (a devDependency, like @trpc/client): core's one backoff, without
// making @metro/core a runtime dependency of this light package.
import { backoffDelay } from '@metro/core';
// Types only: erased from the build, so the client never loads the server package. TypeScript users
// install `@metro/admin-trpc` (an optional peer) to get the procedures typed.
import type { AdminAppRouter } from '@metro/admin-trpc';
// Node 20 has no global WebSocket: `ws` stands in. Bundled for a browser, `ws` resolves to its
// browser stub, which has no `WebSocket` export, and the global one is used.
import { WebSocket as NodeWebSocket } from 'ws';

type WebSocketClass = typeof globalThis.WebSocket;

// Browsers and Node 22+ have a global WebSocket; Node 20 gets the `ws` package's.
const DefaultWebSocket: WebSocketClass | undefined =
  typeof globalThis.WebSocket === 'function' ? globalThis.WebSocket : (NodeWebSocket as unknown as WebSocketClass | undefined);

/** The WebSocket's reconnect delays: 250 ms doubling to 10 s, no jitter. */
const RECONNECT_BACKOFF = { initialMs: 250, maxMs: 10_000 } as const;

/** Options of {@link createAdminClient}. */
export interface AdminClientOptions {
  /** The admin server's base URL, e.g. `http://127.0.0.1:4400` (the API lives under `/trpc`). */
  readonly url: string;
  /** The bearer token; sent as `Authorization` on HTTP and as `connectionParams.token` on the WebSocket. */
  readonly token: string;
  /** API prefix on the server. Default `'/trpc'`. */
  readonly prefix?: string;
  /** A WebSocket class for runtimes without one. Default: the global one, else the `ws` package. */
  readonly WebSocket?: WebSocketClass;
  /** Called when the subscription socket closes (e.g. the server refused the token). */
  readonly onSocketClose?: (cause?: { code?: number }) => void;
}

/**
 * The typed admin client: `client.failed.list.query(...)`, `client.live.onFailure.subscribe(...)`, and `close()`.
 * Its procedures are typed from `AdminAppRouter` when `@metro/admin-trpc` is installed (a dev
 * dependency is enough); without it they are untyped.
 */
export type AdminClient = TRPCClient<AdminAppRouter> & {
  /** Closes the subscription socket, if one was opened. Safe to call twice. */
  close(): Promise<void>;
};

/**
 * A client typed from the admin router: HTTP for queries and mutations, a WebSocket (opened on the
 * first subscription) for live failures and stats.
 *
 * @example
 * ```ts
 * const admin = createAdminClient({ url: 'http://127.0.0.1:4400', token: process.env.METRO_ADMIN_TOKEN! });
 * const page = await admin.failed.list.query({ filter: { status: 'failed' }, limit: 20 });
 * const sub = admin.live.onFailure.subscribe(undefined, { onData: (f) => console.log(f.type, f.error.message) });
 * ```
 */
export function createAdminClient(options: AdminClientOptions): AdminClient {
  const base = options.url.replace(/\/$/, '') + (options.prefix ?? '/trpc');
  const wsUrl = base.replace(/^http/, 'ws');
  const WebSocketImpl = options.WebSocket ?? DefaultWebSocket;
  const wsClient = createWSClient({
    url: wsUrl,
    ...(WebSocketImpl ? { WebSocket: WebSocketImpl } : {}),
    connectionParams: () => ({ token: options.token }),
    lazy: { enabled: true, closeMs: 1000 },
    retryDelayMs: (attempt) => backoffDelay(attempt, RECONNECT_BACKOFF),
    ...(options.onSocketClose ? { onClose: options.onSocketClose } : {}),
  });
  const client = createTRPCClient<AdminAppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsLink({ client: wsClient }),
        false: httpLink({ url: base, headers: () => ({ authorization: `Bearer ${options.token}` }) }),
      }),
    ],
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= wsClient.close();
    return closed;
  };
  // The tRPC client is a proxy that treats every property as a procedure path: answer `close` first.
  return new Proxy(client, {
    get: (target, property, receiver) => (property === 'close' ? close : Reflect.get(target, property, receiver)),
  }) as AdminClient;
}
