import { initTRPC, TRPCError } from '@trpc/server';
import { MetroError, type Logger } from '@metro/core';
import type { Principal } from './auth.js';

/** The context of every admin procedure: who is calling, over what. */
export interface AdminContext {
  /** `null` when the caller is not authenticated: every procedure refuses it. */
  readonly principal: Principal | null;
  readonly transport: 'http' | 'ws' | 'caller';
  readonly logger: Logger;
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

const authenticated = t.middleware(({ ctx, next }) => {
  if (ctx.principal === null) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Missing or invalid admin token: send `Authorization: Bearer <token>`.' });
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

/** Read-only procedures: any authenticated principal. */
export const adminQuery = t.procedure.use(authenticated);

/** Mutations: authenticated, and logged with who did what. */
export const adminMutation = t.procedure.use(authenticated).use(async ({ ctx, path, getRawInput, next }) => {
  const started = Date.now();
  const result = await next();
  let input: unknown;
  try {
    input = await getRawInput();
  } catch {
    input = undefined;
  }
  const principal = ctx.principal?.id ?? 'unknown';
  if (result.ok) {
    ctx.logger.info({ principal, procedure: path, input: summarize(input), ms: Date.now() - started }, `admin ${path} by ${principal}`);
  } else {
    ctx.logger.warn({ principal, procedure: path, input: summarize(input), error: result.error.message }, `admin ${path} by ${principal} failed`);
  }
  return result;
});

function summarize(input: unknown): unknown {
  if (input === null || typeof input !== 'object') return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'payload') out[key] = '[payload]';
    else if (Array.isArray(value)) out[key] = value.length > 20 ? `[${value.length} items]` : value;
    else out[key] = value;
  }
  return out;
}
