import { ConfigurationError, MetroError } from '@metro/core';

/**
 * The codes of `@metro/admin-trpc`'s own errors, with what they mean: the closed set behind
 * {@link AdminErrorCode}. `AdminStaticDirError` is a core `ConfigurationError` (`CONFIGURATION`),
 * and `AdminClientError` carries the code the server answered with.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof MetroError && err.code in ADMIN_ERROR_CODES) console.error(ADMIN_ERROR_CODES[err.code as AdminErrorCode]); }
 * ```
 */
export const ADMIN_ERROR_CODES = {
  ADMIN_AUTH_REQUIRED: 'The admin router or server was created without an authorize function.',
  ADMIN_SERVER: 'The admin server could not listen (port taken, bad host) or was misconfigured.',
  MESSAGE_DEFINITION_MISSING: 'An edit was refused: the admin router has no definition of the message type to validate it.',
  ADMIN_FORBIDDEN: "A call was refused (403): the caller's roles do not allow the procedure (a viewer retrying, an operator reading the audit).",
} as const;

/** A code of `@metro/admin-trpc`'s own errors: a key of {@link ADMIN_ERROR_CODES}. */
export type AdminErrorCode = keyof typeof ADMIN_ERROR_CODES;

/**
 * The admin router or server was created without an `authorize` function. Metro's admin API
 * refuses to run unauthenticated: pass `authorize: tokenAuth([...])` or your own callback.
 *
 * @example
 * ```ts
 * try { createAdminRouter({ db }); } catch (err) { if (err instanceof AdminAuthRequiredError) process.exit(1); }
 * ```
 */
export class AdminAuthRequiredError extends MetroError<'ADMIN_AUTH_REQUIRED'> {
  constructor() {
    super(
      'ADMIN_AUTH_REQUIRED',
      'The Metro admin API refuses to start without authentication. Pass `authorize: tokenAuth([process.env.METRO_ADMIN_TOKEN])` (or your own authorize callback) to createAdminRouter.',
    );
  }
}

/** The admin server could not listen (port taken, bad host) or was misconfigured. */
export class AdminServerError extends MetroError<'ADMIN_SERVER'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ADMIN_SERVER', message, options);
  }
}

/**
 * `createAdminServer({ staticDir })` was given a directory that does not exist or holds no
 * `index.html`, so the dashboard would answer 404. Thrown at start, before listening (code
 * `CONFIGURATION`, a core `ConfigurationError`). Install `@metro/admin-web` and pass its
 * `dashboardDir`, or leave `staticDir` out to serve the API alone.
 *
 * @example
 * ```ts
 * import { dashboardDir } from '@metro/admin-web';
 * await createAdminServer({ router: admin, port: 4400, staticDir: dashboardDir });
 * ```
 */
export class AdminStaticDirError extends ConfigurationError {
  constructor(
    readonly staticDir: string,
    readonly resolvedDir: string,
    problem: 'missing' | 'no-index',
  ) {
    super(
      `createAdminServer: staticDir "${staticDir}" (${resolvedDir}) ${problem === 'missing' ? 'does not exist' : 'has no index.html'}, so the dashboard could not be served. ` +
        "Install the dashboard (npm install @metro/admin-web) and pass `staticDir: dashboardDir` (import { dashboardDir } from '@metro/admin-web'), " +
        'point staticDir at a directory with an index.html, or leave staticDir out to serve the API only.',
    );
  }
}

/** The admin client got an error from the server (unauthorized, not found, bad input, server down); its `code` is the server's. */
export class AdminClientError extends MetroError {
  constructor(code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options);
  }
}

/**
 * `failed.editAndRetry` refused an edit: the admin router has no definition of the failed
 * message's type, so it cannot validate the edited payload. Pass the definition in
 * `createAdminRouter({ messages })`, or opt in to unchecked edits with `allowUnvalidatedEdits: true`.
 * Over the wire it is a `PRECONDITION_FAILED` error with `data.metroCode` `MESSAGE_DEFINITION_MISSING`.
 *
 * @example
 * ```ts
 * const admin = createAdminRouter({ db, authorize, messages: [OrderPlaced, SendSms] });
 * ```
 */
export class MessageDefinitionMissingError extends MetroError<'MESSAGE_DEFINITION_MISSING'> {
  constructor(failureId: string, message: string) {
    super(
      'MESSAGE_DEFINITION_MISSING',
      `Refused to edit failed message ${failureId}: the admin API has no definition of ${message}, so it cannot validate the new payload. Add the definition to createAdminRouter({ messages: [...] }) (or set allowUnvalidatedEdits: true to accept unchecked edits), or retry the message unchanged.`,
      { details: { failureId, message } },
    );
  }
}

/**
 * A call was refused because the caller's roles do not allow it: a `viewer` calling a mutation,
 * an `operator` reading the audit trail. Over the wire it is a `FORBIDDEN` error (HTTP 403) whose
 * message starts with `Forbidden for role <role>` and whose `data.metroCode` is `ADMIN_FORBIDDEN`.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof TRPCClientError && err.data?.metroCode === 'ADMIN_FORBIDDEN') console.error(err.message); }
 * ```
 */
export class AdminForbiddenError extends MetroError<'ADMIN_FORBIDDEN'> {
  constructor(
    readonly role: string,
    readonly procedure: string,
    readonly needs: string,
  ) {
    super('ADMIN_FORBIDDEN', `Forbidden for role ${role}: ${procedure} needs the ${needs} role. Ask an admin for a token with that role.`, {
      details: { role, procedure, needs },
    });
  }
}
