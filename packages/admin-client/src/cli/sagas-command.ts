import type { AdminClient } from '../index.js';
import type { ParsedArgs } from './args.js';
import { UsageError } from './args.js';
import { printable, printableJson } from './printable.js';
import { renderTable, shortTime } from './table.js';

type Values = ParsedArgs['values'];
type Print = { out(text: string): void; json(value: unknown): void };

const STATUSES = ['active', 'completed'] as const;

/** `<saga> <key>` from the positionals, or a usage error naming the command. */
function sagaAndKey(sub: string, args: string[]): { saga: string; key: string } {
  const [saga, key] = args;
  if (saga === undefined || key === undefined || args.length > 2) throw new UsageError(`sagas ${sub} needs <saga> <key>, e.g. sagas ${sub} order o-1`);
  return { saga, key };
}

function listInput(v: Values) {
  const status = v.status;
  if (status !== undefined && !(STATUSES as ReadonlyArray<string>).includes(status)) throw new UsageError('--status must be one of active, completed');
  const limit = v.limit === undefined ? undefined : Number(v.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) throw new UsageError('--limit must be an integer from 1 to 500');
  return {
    ...(v.saga !== undefined ? { saga: v.saga } : {}),
    ...(status !== undefined ? { status: status as (typeof STATUSES)[number] } : {}),
    ...(v.state !== undefined ? { currentState: v.state } : {}),
    ...(v.cursor !== undefined ? { cursor: v.cursor } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
}

function keepDaysOf(v: Values): number | undefined {
  if (v['keep-days'] === undefined) return undefined;
  const days = Number(v['keep-days']);
  if (!Number.isInteger(days) || days < 0 || days > 3650) throw new UsageError('--keep-days must be an integer from 0 to 3650');
  return days;
}

type Saga = NonNullable<Awaited<ReturnType<AdminClient['sagas']['get']['query']>>>;

function printSaga(s: Saga, print: Print): void {
  const rows: Array<[string, string]> = [
    ['saga', s.saga],
    ['key', s.key],
    ['current state', s.currentState ?? '-'],
    ['status', s.status],
    ['version', String(s.version)],
    ['created', shortTime(s.createdAt)],
    ['updated', shortTime(s.updatedAt)],
    ['completed', shortTime(s.completedAt)],
    ['expires', shortTime(s.expiresAt)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, value] of rows) print.out(`${k.padEnd(width)}  ${printable(value)}`);
  const timeouts = Object.entries(s.timeouts);
  print.out('\npending timeouts:');
  print.out(
    timeouts.length === 0
      ? '(none)'
      : renderTable(timeouts, [
          { header: 'MESSAGE', value: ([message]) => message },
          { header: 'DUE', value: ([, t]) => shortTime(t.dueAt) },
          { header: 'SCHEDULED ID', value: ([, t]) => t.id, max: 36 },
        ]),
  );
  print.out('\nmessages that moved it (oldest first):');
  print.out(
    s.history.length === 0
      ? '(none)'
      : renderTable(s.history, [
          { header: 'VERSION', value: (h) => h.version, align: 'right' },
          { header: 'AT', value: (h) => shortTime(h.at) },
          { header: 'MESSAGE', value: (h) => h.message },
          { header: 'MESSAGE ID', value: (h) => h.messageId, max: 40 },
        ]),
  );
  print.out(s.stateHidden ? '\nstate: (hidden: your role may not read payloads)' : `\nstate:\n${printableJson(s.state, 2)}`);
}

/**
 * `metro-admin sagas list|show|complete|delete`: sagas by `--saga`, `--status` and `--state` (the
 * current state machine state); one saga with its state, version, pending timeouts and the
 * messages that moved it; and, for operators, completing (`--keep-days`) or deleting a stuck one.
 */
export async function sagasCommand(client: AdminClient, sub: string | undefined, args: string[], v: Values, print: Print): Promise<void> {
  switch (sub) {
    case 'list': {
      const page = await client.sagas.list.query(listInput(v));
      if (v.json) return print.json(page);
      print.out(
        renderTable(page.items, [
          { header: 'SAGA', value: (s) => s.saga },
          { header: 'KEY', value: (s) => s.key, max: 50 },
          { header: 'STATE', value: (s) => s.currentState },
          { header: 'STATUS', value: (s) => s.status },
          { header: 'VERSION', value: (s) => s.version, align: 'right' },
          { header: 'TIMEOUTS', value: (s) => Object.keys(s.timeouts).length, align: 'right' },
          { header: 'LAST MESSAGE', value: (s) => s.history.at(-1)?.message },
          { header: 'UPDATED', value: (s) => shortTime(s.updatedAt) },
        ]),
      );
      if (page.nextCursor) print.out(`\nmore: --cursor ${page.nextCursor}`);
      return;
    }
    case 'show': {
      const { saga, key } = sagaAndKey(sub, args);
      const found = await client.sagas.get.query({ saga, key });
      if (!found) throw new Error(`no saga ${saga} with key ${key}`);
      return v.json ? print.json(found) : printSaga(found, print);
    }
    case 'complete': {
      const { saga, key } = sagaAndKey(sub, args);
      const keepDays = keepDaysOf(v);
      const r = await client.sagas.complete.mutate({ saga, key, ...(keepDays !== undefined ? { keepDays } : {}) });
      return v.json ? print.json(r) : print.out(r.completed ? `completed ${saga} ${key}` : `${saga} ${key} is not active (nothing completed)`);
    }
    case 'delete': {
      const { saga, key } = sagaAndKey(sub, args);
      const r = await client.sagas.delete.mutate({ saga, key });
      return v.json ? print.json(r) : print.out(r.deleted ? `deleted ${saga} ${key}` : `no saga ${saga} ${key} (nothing deleted)`);
    }
    default:
      throw new UsageError(`unknown command "sagas ${sub ?? ''}"`);
  }
}
