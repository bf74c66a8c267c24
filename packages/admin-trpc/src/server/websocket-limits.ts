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
