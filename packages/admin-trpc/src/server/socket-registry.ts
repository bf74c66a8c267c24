import type { WebSocket } from 'ws';

/** Limits of the admin server's WebSockets (`createAdminServer({ websocket })`). */
export interface WebSocketLimits {
  /** A socket that has not signed in (connectionParams token or upgrade header) this long after opening is closed; PING does not count. Default 5000 ms. */
  readonly authTimeoutMs?: number;
  /** Most WebSockets open at once (signed in or not); more get 503 on the upgrade. Default 500. */
  readonly maxSockets?: number;
  /** Most WebSockets open at once from one client address; more get 429 on the upgrade. Default 20. */
  readonly maxSocketsPerAddress?: number;
  /** Most subscriptions open at once on one socket; more are refused with TOO_MANY_REQUESTS. Default 10. */
  readonly maxSubscriptionsPerSocket?: number;
  /** How often a running subscription asks the authorizer again (a revoked token ends it within this). Default 1000 ms. */
  readonly recheckMs?: number;
}

/** The limits with their defaults filled in. */
export type ResolvedWebSocketLimits = Required<WebSocketLimits>;

export function resolveLimits(limits: WebSocketLimits = {}): ResolvedWebSocketLimits {
  return {
    authTimeoutMs: limits.authTimeoutMs ?? 5_000,
    maxSockets: limits.maxSockets ?? 500,
    maxSocketsPerAddress: limits.maxSocketsPerAddress ?? 20,
    maxSubscriptionsPerSocket: limits.maxSubscriptionsPerSocket ?? 10,
    recheckMs: limits.recheckMs ?? 1_000,
  };
}

/**
 * The open WebSockets, counted in total and per client address (upgrades in progress included),
 * each closed unless it signs in before its deadline.
 */
export class SocketRegistry {
  readonly #perAddress = new Map<string, number>();
  readonly #deadlines = new Map<WebSocket, NodeJS.Timeout>();
  #total = 0;

  constructor(private readonly limits: ResolvedWebSocketLimits) {}

  /** Why a new socket from `address` is refused (`503`: server full, `429`: that address has too many), or `undefined` to accept it. */
  refusal(address: string): { status: 429 | 503; text: string } | undefined {
    if (this.#total >= this.limits.maxSockets) return { status: 503, text: 'Service Unavailable' };
    if ((this.#perAddress.get(address) ?? 0) >= this.limits.maxSocketsPerAddress) return { status: 429, text: 'Too Many Requests' };
    return undefined;
  }

  /** Counts a socket in (call at the upgrade); the returned function counts it out, once. */
  reserve(address: string): () => void {
    this.#total++;
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, left);
    };
  }

  /** Closes `ws` if it has not signed in within the deadline. */
  startDeadline(ws: WebSocket): void {
    const timer = setTimeout(() => {
      this.#deadlines.delete(ws);
      ws.close(4401, 'Not signed in within the deadline: send connectionParams { token } first.');
      // A peer that never answers the close handshake is dropped anyway.
      setTimeout(() => ws.terminate(), 1_000).unref?.();
    }, this.limits.authTimeoutMs);
    timer.unref?.();
    this.#deadlines.set(ws, timer);
    ws.once('close', () => this.signedIn(ws));
  }

  /** The socket signed in: no deadline any more. */
  signedIn(ws: WebSocket): void {
    const timer = this.#deadlines.get(ws);
    if (timer !== undefined) clearTimeout(timer);
    this.#deadlines.delete(ws);
  }

  /** Sockets counted now. */
  get total(): number {
    return this.#total;
  }
}
