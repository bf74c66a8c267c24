import { parseArgs } from 'node:util';

/** The options every `metro-admin` command understands. */
export const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  type: { type: 'string' },
  topic: { type: 'string' },
  service: { type: 'string' },
  queue: { type: 'string' },
  reason: { type: 'string' },
  'error-name': { type: 'string' },
  status: { type: 'string' },
  text: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  tag: { type: 'string', multiple: true },
  payload: { type: 'string' },
  principal: { type: 'string' },
  procedure: { type: 'string' },
  kind: { type: 'string' },
  outcome: { type: 'string' },
  saga: { type: 'string' },
  state: { type: 'string' },
  'keep-days': { type: 'string' },
} as const;

export type ParsedArgs = ReturnType<typeof parse>;

export function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

/** `--tag orderId=1 --tag kind=sms` → `{ orderId: '1', kind: 'sms' }`. */
export function tagsOf(values: ReadonlyArray<string> | undefined): Record<string, string> | undefined {
  if (!values || values.length === 0) return undefined;
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const value of values) {
    const at = value.indexOf('=');
    if (at <= 0) throw new UsageError(`--tag needs key=value, got "${value}"`);
    tags[value.slice(0, at)] = value.slice(at + 1);
  }
  return { ...tags };
}

/** A command-line mistake: exit code 2, printed with the usage unless `showUsage` is false. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
  }
}

/**
 * The JSON of `--payload`, or a {@link UsageError} (exit 2) that says how to quote it: parsed
 * before any call, so a typo retries nothing.
 *
 * @example
 * ```ts
 * payloadOf('{"orderId":"1"}'); // { orderId: '1' }
 * payloadOf(undefined);         // undefined: retry unchanged
 * ```
 */
export function payloadOf(text: string | undefined): { payload: unknown } | undefined {
  if (text === undefined) return undefined;
  try {
    return { payload: JSON.parse(text) as unknown };
  } catch (e) {
    throw new UsageError(
      `--payload is not valid JSON (${(e as Error).message}). Give the whole new payload as one JSON value, in single quotes for the shell: --payload '{"orderId":"1"}'.`,
      false,
    );
  }
}

export const USAGE = `metro-admin: operate Metro's failed, deferred and scheduled messages, and sagas.

Usage: metro-admin <command> [options]

  failed list [--type T] [--topic T] [--service S] [--queue Q] [--reason R] [--error-name E] [--status S] [--text X] [--from ISO] [--to ISO] [--limit N] [--cursor C]
  failed show <id>
  failed retry <id>... [--payload JSON]
                                                 --payload: retry with this payload instead of the recorded one
                                                 (the whole new payload, as JSON in single quotes; the server
                                                 validates it against the message's definition first)
  failed retry-all [same filters as list]        retries every failed message matching, with progress
  failed delete <id>...                          soft-deletes (restore undoes it)
  failed restore <id>...                         deleted failures become failed again
  deferred list [--type T] [--service S] [--limit N]
  deferred resume <seq>...                       runs each deferred message again (back into its queue)
  deferred complete <seq>...                     marks each done without running it
  scheduled list [--type T] [--status pending|fired|cancelled] [--tag k=v]...
  scheduled cancel <id>...  |  scheduled cancel --type T --tag k=v...
  stats
  audit [--principal P] [--procedure failed.retry] [--kind mutation|sign-in|payload-read]
        [--outcome ok|error|forbidden|refused|throttled] [--from ISO] [--to ISO] [--limit N]
                                                 the audit trail, newest first (admin role)
  sagas list [--saga S] [--status active|completed] [--state STATE] [--limit N] [--cursor C]
  sagas show <saga> <key>                        state, version, pending timeouts, the messages that moved it
  sagas complete <saga> <key> [--keep-days N]    ends a stuck saga (kept N days, default 7), its timeouts cancelled
  sagas delete <saga> <key>                      removes a saga, its timeouts cancelled

Options:
  --url URL        admin server (or METRO_ADMIN_URL), default http://127.0.0.1:4400
  --token TOKEN    bearer token (or METRO_ADMIN_TOKEN)
  --json           machine-readable output
  --payload JSON   with failed retry: the edited payload, e.g. --payload '{"orderId":"1"}'

Exit codes: 0 done, 1 the server refused or failed, 2 usage (unknown command, bad option, invalid --payload JSON),
3 forbidden for your role (e.g. a viewer's token asked to retry), 4 token refused (401) or address throttled (429).

Everything printed from message data has its control characters escaped (\x1b, \x9b): nothing reaches your terminal as a command.
`;
