/**
 * A TCP proxy between a client and a server (RabbitMQ, PostgreSQL) that a fault test controls.
 * It listens on an ephemeral 127.0.0.1 port and forwards every connection to `targetHost:targetPort`.
 *
 * - `cut()` destroys every live connection (both sides); new connections are still accepted.
 * - `block()` / `pause()` refuse new connections (accepted then destroyed) until `restore()` / `resume()`.
 * - `cutAll()` = `block()` + `cut()`: the server is unreachable until `restore()`.
 * - `freeze()` keeps sockets open but drops bytes (a silent peer: only heartbeats notice) until `thaw()`.
 *
 * @example
 * ```ts
 * import { TcpProxy } from '@metro/test-support';
 * const proxy = new TcpProxy('127.0.0.1', 5432);
 * const port = await proxy.listen();
 * // connect the client to 127.0.0.1:port, then:
 * proxy.cutAll(); // outage
 * proxy.restore(); // back
 * await proxy.close();
 * ```
 */
export declare class TcpProxy {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Connections accepted so far (refused ones are not counted). */
  accepted: number;
  /** Connections that ended so far (either side closed). */
  dropped: number;
  /** @param targetHost defaults to 127.0.0.1. @param targetPort defaults to 5672. */
  constructor(targetHost?: string, targetPort?: number);
  /** Creates a proxy to `targetHost:targetPort` and listens on an ephemeral port. */
  static start(targetPort?: number, targetHost?: string): Promise<TcpProxy>;
  /** The port the proxy listens on (0 before `listen()`). */
  readonly port: number;
  /** Open proxied connections right now. */
  readonly connections: number;
  /** Whether the listening socket is open. */
  readonly listening: boolean;
  /** Listens on 127.0.0.1:`port` (0 = ephemeral) and resolves with the port. No-op if already listening. */
  listen(port?: number): Promise<number>;
  /** Alias of `listen()`. */
  start(port?: number): Promise<number>;
  /** An AMQP URL (guest/guest) through the proxy, followed by `suffix` (e.g. `/vhost?heartbeat=1`). */
  url(suffix?: string): string;
  /** `baseUrl` with its host and port replaced by the proxy's. */
  urlFor(baseUrl: string): string;
  /** Destroys every live connection; new ones are still accepted. */
  cut(): void;
  /** Refuses new connections and destroys every live one, until `restore()`. */
  cutAll(): void;
  /** Refuses new connections (existing ones stay) until `restore()`. */
  block(): void;
  /** Alias of `block()`. */
  pause(): void;
  /** Accepts new connections again. */
  restore(): void;
  /** Alias of `restore()`. */
  resume(): void;
  /** Stops forwarding bytes while keeping sockets open (bytes sent meanwhile are dropped). */
  freeze(): void;
  /** Forwards bytes again. */
  thaw(): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Resolves after `ms`. */
export declare function sleep(ms: number): Promise<void>;
/** Polls `predicate` every `intervalMs` (default 20) until it holds; throws naming `what` after `timeoutMs`. */
export declare function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs?: number, what?: string, intervalMs?: number): Promise<void>;

export declare const DATABASE_URL: string;
export interface TestDatabase {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: import('kysely').Kysely<any>;
  readonly pool: import('pg').Pool;
  readonly schema: string;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}
/** A Kysely over a fresh schema `${prefix}_<random>`, after `migrate(db, schema)` ran. */
export declare function createTestDatabase(options: {
  prefix: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  migrate?: (db: import('kysely').Kysely<any>, schema: string) => Promise<unknown>;
  max?: number;
  connectionString?: string;
}): Promise<TestDatabase>;
