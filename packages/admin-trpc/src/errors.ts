import { MetroError } from '@metro/core';

/**
 * The admin router or server was created without an `authorize` function. Metro's admin API
 * refuses to run unauthenticated: pass `authorize: tokenAuth([...])` or your own callback.
 *
 * @example
 * ```ts
 * try { createAdminRouter({ db }); } catch (err) { if (err instanceof AdminAuthRequiredError) process.exit(1); }
 * ```
 */
export class AdminAuthRequiredError extends MetroError {
  constructor() {
    super(
      'ADMIN_AUTH_REQUIRED',
      'The Metro admin API refuses to start without authentication. Pass `authorize: tokenAuth([process.env.METRO_ADMIN_TOKEN])` (or your own authorize callback) to createAdminRouter.',
    );
  }
}

/** The admin server could not listen (port taken, bad host) or was misconfigured. */
export class AdminServerError extends MetroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ADMIN_SERVER', message, options);
  }
}

/** The admin client got an error from the server (unauthorized, not found, bad input, server down). */
export class AdminClientError extends MetroError {
  constructor(code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options);
  }
}
