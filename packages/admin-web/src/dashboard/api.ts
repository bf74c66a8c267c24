import { createAdminClient, type AdminClient } from '@metro/admin-client';

const KEY = 'metro-admin-token';

/** The token of this browser tab (sessionStorage: gone when the tab closes). */
export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}

/** A typed client on the server that served this page. */
export function connect(token: string, onSocketClose?: (cause?: { code?: number }) => void): AdminClient {
  return createAdminClient({ url: location.origin, token, ...(onSocketClose ? { onSocketClose } : {}) });
}

export type { AdminClient };
