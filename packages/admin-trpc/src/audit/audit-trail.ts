import { sql } from 'kysely';
import type { Logger, Page } from '@metro/core';
import type { AnyKysely } from '../router/stores.js';
import { safeText, storable, type AuditEntry, type AuditQuery, type NewAuditEntry } from './audit-entry.js';

/** Options of the audit trail (`createAdminRouter({ audit })`). */
export interface AuditOptions {
  /** Write the trail to `<schema>.admin_audit` (run `migrateAdmin(db)` first). Default `true`. */
  readonly enabled?: boolean;
  /** Entries older than this many days are deleted (checked with the first write, then at most every `pruneEveryMs`). Default 90. */
  readonly retentionDays?: number;
  /** Also record each read of message payloads (failure details, deferred and scheduled listings). Default `false`. */
  readonly payloadReads?: boolean;
  /** How often old entries are pruned. Default one hour. */
  readonly pruneEveryMs?: number;
}

interface AuditRow {
  id: string;
  at: Date;
  kind: AuditEntry['kind'];
  principal: string | null;
  roles: string[];
  client_address: string | null;
  transport: AuditEntry['transport'];
  procedure: string | null;
  input: AuditEntry['input'];
  result_count: string | null;
  outcome: AuditEntry['outcome'];
  error: string | null;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: String(row.id),
    at: new Date(row.at).toISOString(),
    kind: row.kind,
    principal: row.principal,
    roles: row.roles ?? [],
    clientAddress: row.client_address,
    transport: row.transport,
    procedure: row.procedure,
    input: row.input,
    resultCount: row.result_count === null ? null : Number(row.result_count),
    outcome: row.outcome,
    error: row.error,
  };
}

/**
 * The admin API's audit trail in PostgreSQL: every mutation (who, role, when, from where, over
 * what, the filter or every id, how many records it changed, how it ended), every refused or
 * throttled sign-in, and payload reads when enabled. A write that fails is logged at error with
 * the whole entry, so nothing is lost silently.
 */
export class AuditTrail {
  readonly enabled: boolean;
  readonly payloadReads: boolean;
  readonly #retentionMs: number;
  readonly #pruneEveryMs: number;
  #lastPrune = 0;

  constructor(
    private readonly db: AnyKysely,
    private readonly schema: string,
    private readonly logger: Logger,
    options: AuditOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.payloadReads = this.enabled && (options.payloadReads ?? false);
    this.#retentionMs = (options.retentionDays ?? 90) * 86_400_000;
    this.#pruneEveryMs = options.pruneEveryMs ?? 3_600_000;
  }

  /** Writes one entry (a no-op when disabled). Never throws: a failed write is logged with the entry. */
  async record(entry: NewAuditEntry): Promise<void> {
    const line = {
      kind: entry.kind,
      principal: entry.principal ? safeText(String(entry.principal.id)) : null,
      roles: entry.principal && Array.isArray(entry.principal.roles) ? entry.principal.roles.map((r) => safeText(String(r))) : [],
      client_address: entry.clientAddress,
      transport: entry.transport,
      procedure: entry.procedure,
      input: entry.input === undefined ? null : JSON.stringify(storable(entry.input)),
      result_count: entry.resultCount ?? null,
      outcome: entry.outcome,
      error: entry.error === undefined || entry.error === null ? null : safeText(entry.error).slice(0, 2000),
    };
    if (!this.enabled) return;
    if (Date.now() - this.#lastPrune >= this.#pruneEveryMs) {
      this.#lastPrune = Date.now();
      void this.prune().catch((err: unknown) => this.logger.warn({ err }, 'admin audit: pruning old entries failed'));
    }
    try {
      await sql`INSERT INTO ${sql.id(this.schema, 'admin_audit')} (kind, principal, roles, client_address, transport, procedure, input, result_count, outcome, error)
        VALUES (${line.kind}, ${line.principal}, ${line.roles}, ${line.client_address}, ${line.transport}, ${line.procedure}, ${line.input}::jsonb, ${line.result_count}, ${line.outcome}, ${line.error})`.execute(
        this.db,
      );
    } catch (err) {
      this.logger.error({ err, audit: line }, 'admin audit: could not write the entry (did migrateAdmin run on this schema?)');
    }
  }

  /** One page of entries, newest first, matching the filter. */
  async list(query: AuditQuery = {}): Promise<Page<AuditEntry>> {
    const limit = query.limit ?? 50;
    const where = [sql`true`];
    if (query.principal !== undefined) where.push(sql`principal = ${query.principal}`);
    if (query.procedure !== undefined) where.push(sql`procedure = ${query.procedure}`);
    if (query.kind !== undefined) where.push(sql`kind = ${query.kind}`);
    if (query.outcome !== undefined) where.push(sql`outcome = ${query.outcome}`);
    if (query.from !== undefined) where.push(sql`at >= ${query.from}`);
    if (query.to !== undefined) where.push(sql`at < ${query.to}`);
    if (query.cursor !== undefined) where.push(sql`id < ${query.cursor}`);
    const result =
      await sql<AuditRow>`SELECT * FROM ${sql.id(this.schema, 'admin_audit')} WHERE ${sql.join(where, sql` AND `)} ORDER BY id DESC LIMIT ${limit + 1}`.execute(
        this.db,
      );
    const rows = result.rows.slice(0, limit);
    return { items: rows.map(toEntry), nextCursor: result.rows.length > limit ? String(rows[rows.length - 1]!.id) : null };
  }

  /** Deletes entries older than the retention; returns how many. */
  async prune(now = new Date()): Promise<number> {
    if (!this.enabled) return 0;
    const result = await sql`DELETE FROM ${sql.id(this.schema, 'admin_audit')} WHERE at < ${new Date(now.getTime() - this.#retentionMs)}`.execute(this.db);
    return Number(result.numAffectedRows ?? 0);
  }
}
