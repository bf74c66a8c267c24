import type { WebSocket } from 'ws';
import type { ResolvedWebSocketLimits } from './websocket-limits.js';

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
