import { z } from 'zod';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { AuditEntry } from '../audit/audit-entry.js';
import { auditQuery, router } from '../trpc.js';
import type { PageDto } from './dto.js';
import { isoDate, text } from './inputs.js';

const auditFilter = z
  .strictObject({
    principal: text(300).optional(),
    procedure: text(100).optional(),
    kind: z.enum(['mutation', 'sign-in', 'payload-read']).optional(),
    outcome: z.enum(['ok', 'error', 'forbidden', 'refused', 'throttled']).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, { message: 'cursor: pass the nextCursor of the previous page' })
      .optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .optional();

/** The `audit.*` procedures (the `admin` role only): the trail, newest first. */
export function auditRouter(audit: AuditTrail) {
  return router({
    /** Entries newest first, filtered by principal, procedure, kind, outcome and time. */
    list: auditQuery.input(auditFilter).query(async ({ input }): Promise<PageDto<AuditEntry>> => {
      const { from, to, ...rest } = input ?? {};
      const page = await audit.list({ ...rest, ...(from !== undefined ? { from: new Date(from) } : {}), ...(to !== undefined ? { to: new Date(to) } : {}) });
      return { items: [...page.items], nextCursor: page.nextCursor };
    }),
  });
}
