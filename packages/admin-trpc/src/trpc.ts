import { initTRPC, TRPCError } from '@trpc/server';
import { MetroError, type Logger } from '@metro/core';
import type { ProcedureCall, ProcedureType } from './auth/authorizer.js';
import { can, roleName, ROLE_FOR, unexpired, type AdminPermission, type Principal } from './auth/roles.js';
import type { AuditTrail } from './audit/audit-trail.js';
import { resultCountOf } from './audit/audit-entry.js';
import { AdminForbiddenError } from './errors.js';
import { badInputMessage } from './bad-input.js';

/** What a WebSocket allows its subscriptions (the server's `websocket` options). */
export interface LiveLimits {
  /** Most subscriptions open at once on the socket. */
  readonly maxSubscriptions: number;
  /** How often a running subscription asks the authorizer again. */
  readonly recheckMs: number;
  /** Subscriptions open now (the subscriptions count themselves in and out). */
  active: number;
}

/** Who is calling and how: the server builds one per HTTP request and per WebSocket. */
export interface AdminCaller {
  readonly transport: 'http' | 'ws' | 'caller';
  readonly clientAddress: string | null;
  /** The principal for this call (asks the authorizer, or a fixed one for `createCaller`); `null` refuses it. */
  principalFor(call: ProcedureCall): Promise<Principal | null>;
  /** Set on WebSockets: the subscription limits. */
  readonly live?: LiveLimits;
}

/** The context of every admin procedure: who is calling, over what, and where calls are recorded. */
export interface AdminContext {
  readonly caller: AdminCaller;
  readonly logger: Logger;
  readonly audit: AuditTrail;
}

const t = initTRPC.context<AdminContext>().create({
  errorFormatter({ shape, error }) {
    // Never leak stacks or internal causes (SQL, connection details) to callers; the server logs them.
    const internal = error.code === 'INTERNAL_SERVER_ERROR';
    const message = internal ? 'Internal error in the admin API; see the server log.' : shape.message;
    // A refusal caused by a Metro error carries its stable code (e.g. VALIDATION_FAILED) for clients to branch on.
    const metroCode = !internal && error.cause instanceof MetroError ? error.cause.code : undefined;
    return {
      ...shape,
      message,
      data: { code: shape.data.code, httpStatus: shape.data.httpStatus, path: shape.data.path, ...(metroCode !== undefined ? { metroCode } : {}) },
    };
  },
});

export const router = t.router;

/** A value the database or a store refused as input (NUL, a date out of range, a bad cursor) answers 400, never 500. */
const badInputAsBadRequest = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.code === 'INTERNAL_SERVER_ERROR') {
    const message = badInputMessage(result.error.cause);
    if (message !== undefined) throw new TRPCError({ code: 'BAD_REQUEST', message, cause: result.error.cause });
  }
  return result;
});

/** The principal of a call, `null` when the authorizer refuses it or its credential has expired. */
export async function principalOf(ctx: AdminContext, path: string, type: ProcedureType): Promise<Principal | null> {
  const principal = (await ctx.caller.principalFor({ path, type })) ?? null;
  return principal !== null && unexpired(principal) ? principal : null;
}

function refusal(ctx: AdminContext, path: string): TRPCError {
  const where = ctx.caller.transport === 'ws' ? 'on the WebSocket (the token may have been revoked or expired: sign in again)' : '';
  return new TRPCError({ code: 'UNAUTHORIZED', message: `Missing or invalid admin token ${where || 'send `Authorization: Bearer <token>`'} for ${path}.` });
}

/** Refuses callers the authorizer refuses (401) and principals whose roles lack `permission` (403; a refused mutation is audited). */
function authorized(permission: AdminPermission) {
  return t.middleware(async ({ ctx, path, type, getRawInput, next }) => {
    const principal = await principalOf(ctx, path, type);
    const base = { clientAddress: ctx.caller.clientAddress, transport: ctx.caller.transport, procedure: path };
    if (principal === null) {
      // HTTP refusals are answered (and audited) before tRPC; here a WebSocket's credential stopped being valid.
      if (ctx.caller.transport === 'ws') await ctx.audit.record({ ...base, kind: 'sign-in', principal: null, outcome: 'refused' });
      throw refusal(ctx, path);
    }
    if (!can(principal, permission)) {
      const cause = new AdminForbiddenError(roleName(principal), path, ROLE_FOR[permission]);
      if (type === 'mutation') {
        await ctx.audit.record({
          ...base,
          kind: 'mutation',
          principal,
          input: await getRawInput().catch(() => undefined),
          outcome: 'forbidden',
          error: cause.message,
        });
      }
      ctx.logger.warn({ principal: principal.id, role: roleName(principal), procedure: path }, `admin ${path} forbidden for ${principal.id}`);
      throw new TRPCError({ code: 'FORBIDDEN', message: cause.message, cause });
    }
    return next({ ctx: { ...ctx, principal } });
  });
}

const base = t.procedure.use(badInputAsBadRequest);

/** Read-only procedures: any principal with the `read` permission (viewer and up). */
export const adminQuery = base.use(authorized('read'));

/** The audit trail: the `admin` role only. */
export const auditQuery = base.use(authorized('audit'));

/** Mutations: operator and up, each written to the audit trail (and the log) with who, what and how it ended. */
export const adminMutation = base.use(authorized('operate')).use(async ({ ctx, path, getRawInput, next }) => {
  const started = Date.now();
  const result = await next();
  const input = await getRawInput().catch(() => undefined);
  const principal = ctx.principal;
  const resultCount = result.ok ? resultCountOf(result.data) : null;
  await ctx.audit.record({
    kind: 'mutation',
    principal,
    clientAddress: ctx.caller.clientAddress,
    transport: ctx.caller.transport,
    procedure: path,
    input,
    resultCount,
    outcome: result.ok ? 'ok' : 'error',
    error: result.ok ? null : result.error.message,
  });
  const fields = {
    principal: principal.id,
    role: roleName(principal),
    procedure: path,
    transport: ctx.caller.transport,
    clientAddress: ctx.caller.clientAddress,
  };
  if (result.ok) ctx.logger.info({ ...fields, resultCount, ms: Date.now() - started }, `admin ${path} by ${principal.id}`);
  else ctx.logger.warn({ ...fields, error: result.error.message }, `admin ${path} by ${principal.id} failed`);
  return result;
});
