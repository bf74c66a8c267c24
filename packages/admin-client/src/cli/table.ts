import { printable } from './printable.js';

/** A column of a {@link renderTable} table. */
export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string | number | null | undefined;
  /** Longest cell before it is cut with `…`. Default 40. */
  readonly max?: number;
  readonly align?: 'left' | 'right';
}

function cell(value: string | number | null | undefined, max: number): string {
  const text = value === null || value === undefined ? '-' : printable(String(value).replace(/\s+/g, ' '));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Renders rows as a plain-text table for people (the CLI prints `--json` for scripts).
 *
 * @example
 * ```ts
 * console.log(renderTable([{ id: 'a', n: 1 }], [{ header: 'ID', value: (r) => r.id }, { header: 'N', value: (r) => r.n, align: 'right' }]));
 * ```
 */
export function renderTable<T>(rows: ReadonlyArray<T>, columns: ReadonlyArray<Column<T>>): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row), c.max ?? 40)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** `2026-01-31 12:00:05` from an ISO string (UTC), for tables. */
export function shortTime(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
