import type { JsonValue } from '../router/dto.js';

/** What an audit entry is about: a mutation, a refused (or throttled) sign-in, or a payload read. */
export type AuditKind = 'mutation' | 'sign-in' | 'payload-read';
/** How it ended: `ok`, `error` (the call failed), `forbidden` (the role may not), `refused` (bad credentials), `throttled` (too many refusals). */
export type AuditOutcome = 'ok' | 'error' | 'forbidden' | 'refused' | 'throttled';

/** One line of the audit trail, as `audit.list` returns it. */
export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly kind: AuditKind;
  /** The principal's id, or `null` for a refused sign-in. */
  readonly principal: string | null;
  readonly roles: string[];
  readonly clientAddress: string | null;
  readonly transport: 'http' | 'ws' | 'caller';
  /** The procedure (`failed.retryMany`), or `null` for a WebSocket sign-in. */
  readonly procedure: string | null;
  /** The call's input: the filter or every id (an edited payload is replaced by `"[edited payload]"`). */
  readonly input: JsonValue | null;
  /** How many records the call changed (retried, deleted, restored, cancelled...), when it says. */
  readonly resultCount: number | null;
  readonly outcome: AuditOutcome;
  readonly error: string | null;
}

/** What the router records (the trail adds id and time). */
export interface NewAuditEntry {
  readonly kind: AuditKind;
  readonly principal: { readonly id: string; readonly roles: ReadonlyArray<string> } | null;
  readonly clientAddress: string | null;
  readonly transport: 'http' | 'ws' | 'caller';
  readonly procedure: string | null;
  readonly input?: unknown;
  readonly resultCount?: number | null;
  readonly outcome: AuditOutcome;
  readonly error?: string | null;
}

/** Filter of `audit.list`. */
export interface AuditQuery {
  readonly principal?: string;
  readonly procedure?: string;
  readonly kind?: AuditKind;
  readonly outcome?: AuditOutcome;
  readonly from?: Date;
  readonly to?: Date;
  readonly cursor?: string;
  readonly limit?: number;
}

const NUMERIC_RESULTS = ['retried', 'deleted', 'restored', 'cancelled', 'completed', 'resumed', 'rescheduled'] as const;

/**
 * How many records a mutation's result says it changed: the sum of its counts (`retried: 3`)
 * and flags (`deleted: true` counts 1); `null` when it says none.
 *
 * @example
 * ```ts
 * resultCountOf({ retried: 12, skipped: 3 }); // 12
 * ```
 */
export function resultCountOf(result: unknown): number | null {
  if (result === null || typeof result !== 'object') return null;
  let count: number | null = null;
  for (const key of NUMERIC_RESULTS) {
    const value = (result as Record<string, unknown>)[key];
    if (typeof value === 'number') count = (count ?? 0) + value;
    else if (typeof value === 'boolean') count = (count ?? 0) + (value ? 1 : 0);
  }
  return count;
}

/**
 * A value made storable as PostgreSQL `jsonb`/`text`: NUL characters (which PostgreSQL refuses)
 * become `\\0`, an edited payload becomes `"[edited payload]"`, depth and size are bounded.
 */
export function storable(value: unknown, depth = 0): JsonValue | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return safeText(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  if (depth > 8) return '[too deep]';
  if (Array.isArray(value)) return value.slice(0, 20_000).map((item) => storable(item, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      out[safeText(key)] = depth === 0 && key === 'payload' ? '[edited payload]' : (storable(item, depth + 1) ?? null);
    }
    return out;
  }
  return String(value);
}

/** Text PostgreSQL accepts: NUL written as `\0`. */
export function safeText(text: string): string {
  return text.includes('\u0000') ? text.split('\u0000').join('\\0') : text;
}
