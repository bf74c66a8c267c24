import type { Envelope, MessageKind, UnroutablePolicy } from '@metro/core';
import type { StoredTags } from './tags.js';

/** Where a one-off schedule is in its life. */
export type ScheduleStatus = 'pending' | 'fired' | 'cancelled';

/** One one-off schedule, as `scheduler.list()` returns it. */
export interface ScheduledMessage {
  /** The schedule id; also the id of the message it fires. */
  readonly id: string;
  /** The message type (`definition.type`), what `cancel({ type })` matches. */
  readonly type: string;
  /** `topic.type` for events, `service:type` for commands. */
  readonly name: string;
  readonly kind: MessageKind;
  readonly dueAt: Date;
  readonly status: ScheduleStatus;
  /** Tags, every value in its string form. */
  readonly tags: StoredTags;
  /** The envelope that is (or was) put into the outbox when due. */
  readonly envelope: Envelope;
  readonly createdAt: Date;
  readonly firedAt: Date | null;
  readonly cancelledAt: Date | null;
}

/** One recurring schedule, as `scheduler.listRecurring()` returns it. */
export interface RecurringSchedule {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly type: string;
  readonly kind: MessageKind;
  /** The next tick the worker fires. */
  readonly nextAt: Date;
  readonly lastFiredAt: Date | null;
  readonly firedCount: number;
}

/** A row of `scheduled_messages` as pg returns it. */
export interface ScheduledRow {
  id: string;
  type: string;
  name: string;
  kind: MessageKind;
  due_at: Date;
  status: ScheduleStatus;
  tags: Record<string, string>;
  envelope: Envelope;
  created_at: Date;
  fired_at: Date | null;
  cancelled_at: Date | null;
}

/** A row of `recurring_schedules` as pg returns it. */
export interface RecurringRow {
  name: string;
  cron: string;
  timezone: string;
  type: string;
  kind: MessageKind;
  template: Envelope;
  expires_in_ms: string | number | null;
  next_at: Date;
  last_fired_at: Date | null;
  fired_count: string | number;
  unroutable: UnroutablePolicy | null;
}

export function toScheduledMessage(row: ScheduledRow): ScheduledMessage {
  return {
    id: row.id,
    type: row.type,
    name: row.name,
    kind: row.kind,
    dueAt: new Date(row.due_at),
    status: row.status,
    tags: { ...row.tags },
    envelope: row.envelope,
    createdAt: new Date(row.created_at),
    firedAt: row.fired_at === null ? null : new Date(row.fired_at),
    cancelledAt: row.cancelled_at === null ? null : new Date(row.cancelled_at),
  };
}

export function toRecurringSchedule(row: RecurringRow): RecurringSchedule {
  return {
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    type: row.type,
    kind: row.kind,
    nextAt: new Date(row.next_at),
    lastFiredAt: row.last_fired_at === null ? null : new Date(row.last_fired_at),
    firedCount: Number(row.fired_count),
  };
}

/** Opaque list cursor: the (due time, id) of the last item of a page. */
export function encodeCursor(dueAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([dueAt.toISOString(), id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { dueAt: Date; id: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') return undefined;
    const dueAt = new Date(value[0]);
    return Number.isNaN(dueAt.getTime()) ? undefined : { dueAt, id: value[1] };
  } catch {
    return undefined;
  }
}
