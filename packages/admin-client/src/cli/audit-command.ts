import type { AdminClient } from '../index.js';
import type { ParsedArgs } from './args.js';
import { UsageError } from './args.js';
import { renderTable, shortTime } from './table.js';

type Values = ParsedArgs['values'];

const KINDS = ['mutation', 'sign-in', 'payload-read'] as const;
const OUTCOMES = ['ok', 'error', 'forbidden', 'refused', 'throttled'] as const;

function oneOf<T extends string>(name: string, value: string | undefined, allowed: ReadonlyArray<T>): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as ReadonlyArray<string>).includes(value)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

/** A short form of an entry's input for the table: `12 ids`, the filter, or the id. */
function inputSummary(input: unknown): string {
  if (input === null || typeof input !== 'object') return input === null || input === undefined ? '-' : String(input);
  const record = input as Record<string, unknown>;
  if (Array.isArray(record['ids'])) return `${record['ids'].length} ids`;
  return JSON.stringify(record);
}

/**
 * `metro-admin audit`: the audit trail, newest first (the admin role only), filtered by
 * `--principal`, `--procedure`, `--kind`, `--outcome`, `--from`, `--to`; `--json` prints every id.
 */
export async function auditCommand(client: AdminClient, v: Values, print: { out(text: string): void; json(value: unknown): void }): Promise<void> {
  const limit = v.limit === undefined ? undefined : Number(v.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500)) throw new UsageError('--limit must be an integer from 1 to 500');
  const kind = oneOf('kind', v.kind, KINDS);
  const outcome = oneOf('outcome', v.outcome, OUTCOMES);
  const page = await client.audit.list.query({
    ...(v.principal !== undefined ? { principal: v.principal } : {}),
    ...(v.procedure !== undefined ? { procedure: v.procedure } : {}),
    ...(kind !== undefined ? { kind } : {}),
    ...(outcome !== undefined ? { outcome } : {}),
    ...(v.from !== undefined ? { from: v.from } : {}),
    ...(v.to !== undefined ? { to: v.to } : {}),
    ...(v.cursor !== undefined ? { cursor: v.cursor } : {}),
    ...(limit !== undefined ? { limit } : {}),
  });
  if (v.json) return print.json(page);
  print.out(
    renderTable(page.items, [
      { header: 'TIME', value: (e) => shortTime(e.at) },
      { header: 'PRINCIPAL', value: (e) => e.principal },
      { header: 'ROLES', value: (e) => e.roles.join('+') || '-' },
      { header: 'ADDRESS', value: (e) => e.clientAddress },
      { header: 'VIA', value: (e) => e.transport },
      { header: 'KIND', value: (e) => e.kind },
      { header: 'PROCEDURE', value: (e) => e.procedure },
      { header: 'OUTCOME', value: (e) => e.outcome },
      { header: 'COUNT', value: (e) => e.resultCount, align: 'right' },
      { header: 'INPUT', value: (e) => inputSummary(e.input), max: 50 },
    ]),
  );
  if (page.nextCursor) print.out(`\nmore: --cursor ${page.nextCursor}`);
}
