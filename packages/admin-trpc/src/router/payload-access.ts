import { can, type Principal } from '../auth/roles.js';
import type { AdminContext } from '../trpc.js';

/** Whether the caller may read message payloads (operator, admin, or the `payloads` grant). */
export function seesPayloads(principal: Principal): boolean {
  return can(principal, 'payloads');
}

/**
 * Records a read of message payloads in the audit trail when `audit.payloadReads` is on: who read
 * which records (`ids`) through which procedure.
 */
export async function recordPayloadRead(ctx: AdminContext & { principal: Principal }, procedure: string, ids: ReadonlyArray<string | number>): Promise<void> {
  if (!ctx.audit.payloadReads || ids.length === 0) return;
  await ctx.audit.record({
    kind: 'payload-read',
    principal: ctx.principal,
    clientAddress: ctx.caller.clientAddress,
    transport: ctx.caller.transport,
    procedure,
    input: { ids: [...ids] },
    resultCount: ids.length,
    outcome: 'ok',
  });
}
