import { createEnvelope, unroutablePolicyOf, type Envelope } from '@metro/core';
import { sql } from 'kysely';
import { nextCronTime } from './cron.js';
import { InvalidScheduleError } from './errors.js';
import { runOn } from './executor.js';
import { MAX_ID_LENGTH, type SchedulerParts } from './one-off-schedules.js';
import { listRecurring } from './scheduled-listing.js';
import type { Scheduler } from './scheduler.js';

/** Recurring schedules: declared by name (idempotently), removed, listed. */
export function createRecurringSchedules({ db, t, source }: SchedulerParts): Pick<Scheduler, 'every' | 'removeRecurring' | 'listRecurring'> {
  return {
    async every(name, cron, message, payload, opts = {}) {
      if (typeof name !== 'string' || name === '' || name.length > MAX_ID_LENGTH) {
        throw new InvalidScheduleError(`a recurring schedule needs a name of 1 to ${MAX_ID_LENGTH} characters`);
      }
      const timezone = opts.timezone ?? 'UTC';
      const nextAt = nextCronTime(cron, timezone, new Date());
      const template = (await createEnvelope(message, payload, { source })) as Envelope;
      const expiresInMs = message.kind === 'command' ? (message.expiresInMs ?? null) : null;
      const unroutable = message.kind === 'event' ? unroutablePolicyOf(message, opts.unroutable) : null;
      await runOn(
        db,
        undefined,
        sql`WITH up AS (
              INSERT INTO ${t.recurring} AS r (name, cron, timezone, type, kind, template, expires_in_ms, next_at, unroutable)
              VALUES (${name}, ${cron}, ${timezone}, ${message.type}, ${message.kind}, ${JSON.stringify(template)}::jsonb, ${expiresInMs}, ${nextAt}, ${unroutable})
              ON CONFLICT (name) DO UPDATE SET
                template = excluded.template, type = excluded.type, kind = excluded.kind, expires_in_ms = excluded.expires_in_ms,
                unroutable = excluded.unroutable,
                next_at = CASE WHEN r.cron IS DISTINCT FROM excluded.cron OR r.timezone IS DISTINCT FROM excluded.timezone
                               THEN excluded.next_at ELSE r.next_at END,
                cron = excluded.cron, timezone = excluded.timezone, updated_at = now()
              RETURNING next_at)
            SELECT pg_notify(${t.channel}::text, (floor(extract(epoch from up.next_at) * 1000))::bigint::text) FROM up`,
      );
    },

    async removeRecurring(name) {
      const result = await runOn(db, undefined, sql`DELETE FROM ${t.recurring} WHERE name = ${name}`);
      return result.affected > 0;
    },

    listRecurring() {
      return listRecurring(db, t);
    },
  };
}
