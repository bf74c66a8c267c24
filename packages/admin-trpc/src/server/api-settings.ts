import type { IncomingMessage } from 'node:http';
import type { AdminRouter } from '../router/app-router.js';
import type { SignInThrottle } from './sign-in-throttle.js';

/** What the HTTP and the WebSocket halves of the admin server serve, resolved from its options. */
export interface ApiSettings {
  /** The router, with the `authorize` and the logger the server uses. */
  readonly admin: AdminRouter;
  /** The API's URL prefix, without a trailing slash (`/trpc`). */
  readonly prefix: string;
  /** Largest request body or WebSocket message, in bytes. */
  readonly maxBody: number;
  /** Most calls in one tRPC batch (HTTP or WebSocket). */
  readonly maxBatch: number;
  /** Cross-origin browser origins allowed to call. */
  readonly cors: ReadonlyArray<string>;
  /** Refused sign-ins per client address, or `undefined` when throttling is off. */
  readonly throttle: SignInThrottle | undefined;
  /** The client's address of a request. */
  readonly clientAddress: (req: IncomingMessage) => string | undefined;
}

/** Whether `pathname` is the API's prefix or under it. */
export function isApiPath(pathname: string, prefix: string): boolean {
  return pathname === prefix || pathname.startsWith(prefix + '/');
}
