/**
 * The exit codes of `metro-admin`: `0` done, `1` the server refused or failed (or is unreachable),
 * `2` a usage mistake, `3` forbidden for your role (a viewer's token asked to retry), `4` signed
 * out: the token was refused (401) or the address is throttled after too many refusals (429).
 *
 * @example
 * ```sh
 * metro-admin failed retry "$ID" || [ $? -eq 3 ] && echo "ask for an operator token"
 * ```
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, forbidden: 3, unauthorized: 4 } as const;

/** The exit code for a server error code (tRPC's `data.code`). */
export function exitOf(code: string | undefined): number {
  if (code === 'FORBIDDEN') return EXIT.forbidden;
  if (code === 'UNAUTHORIZED' || code === 'TOO_MANY_REQUESTS') return EXIT.unauthorized;
  return EXIT.failed;
}
