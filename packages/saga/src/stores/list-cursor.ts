import { ConfigurationError } from '@metro/core';

/** Opaque list cursor: the (saga, key) of the last item of a page. */
export function encodeSagaCursor(saga: string, key: string): string {
  return Buffer.from(JSON.stringify([saga, key]), 'utf8').toString('base64url');
}

/** The (saga, key) in a cursor; `undefined` for anything that is not one. */
export function decodeSagaCursor(cursor: string): { saga: string; key: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') return undefined;
    return { saga: value[0], key: value[1] };
  } catch {
    return undefined;
  }
}

/** The page size of a list filter: 1 to 500, default 50. */
export function pageLimit(limit: number | undefined): number {
  const value = limit ?? 50;
  if (!Number.isInteger(value) || value < 1 || value > 500)
    throw new ConfigurationError(`Invalid saga list limit ${String(limit)}: use an integer from 1 to 500 (default 50).`);
  return value;
}
