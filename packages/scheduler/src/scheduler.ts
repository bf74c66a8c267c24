import { jsonEnvelopeCodec, type Codec, type Duration, type MessageDefinition, type Page, type PayloadInput, type UnroutablePolicy } from '@metro/core';
import type { Executor } from '@metro/outbox-pg';
import type { AnyDatabase } from './any-database.js';
import { createOneOffSchedules, type SchedulerParts } from './one-off-schedules.js';
import { createRecurringSchedules } from './recurring-schedules.js';
import type { ListFilter } from './scheduled-listing.js';
import type { RecurringSchedule, ScheduledMessage } from './scheduled-message.js';
import { schedulerTables } from './schema-names.js';
import type { Tags } from './tags.js';

/** Options of `createScheduler`. */
export interface SchedulerOptions {
  readonly db: AnyDatabase;
  /** Schema of the scheduler's (and the outbox's) tables. Default `metro`. */
  readonly schema?: string;
  /** The service name written as `source` of the envelopes it schedules. */
  readonly source: string;
  /** Encodes one-off schedules when they are scheduled (the bytes the outbox later publishes). Default the JSON envelope codec. */
  readonly codec?: Codec;
}

/** When and how to find a one-off schedule. Give exactly one of `at` and `delay`. */
export interface ScheduleOptions {
  /** Due time. A time in the past fires at once. */
  readonly at?: Date;
  /** Due after this long from now. */
  readonly delay?: Duration;
  /** Labels to cancel or list by; values compare as strings. */
  readonly tags?: Tags;
  /** Schedule id (also the message id). Default a new UUIDv7. Scheduling an id that exists changes nothing (idempotent). */
  readonly id?: string;
  /** An event's unroutable policy when it fires (default: its definition's, else `accept`); kept with the schedule. */
  readonly unroutable?: UnroutablePolicy;
}

/**
 * Which pending schedules `cancel` cancels: those of `type` whose tags include all of `tags`,
 * limited to one topic (an event's aggregate) or one service (a command's) when given, so that a
 * cancel never reaches another aggregate's messages of the same type.
 */
export interface CancelFilter {
  readonly type: string;
  readonly tags?: Tags;
  /** Events of this topic only (the aggregate). */
  readonly topic?: string;
  /** Commands to this service only. */
  readonly service?: string;
}

/** Future and recurring messages on PostgreSQL. See {@link createScheduler}. */
export interface Scheduler {
  /**
   * Validates the payload, builds its envelope and stores it to be put into the outbox when due.
   * With `trx`, the schedule commits (or rolls back) with the caller's writes. Returns the schedule id.
   */
  schedule<D extends MessageDefinition>(trx: Executor | undefined, message: D, payload: PayloadInput<D>, options: ScheduleOptions): Promise<string>;
  /**
   * Cancels every pending schedule of `type` whose tags include all of `tags` (and of `topic` or
   * `service`, when given); returns how many.
   */
  cancel(filter: CancelFilter): Promise<number>;
  /** Cancels one pending schedule; false if it is not pending (fired, cancelled or unknown). */
  cancelById(id: string): Promise<boolean>;
  /** Moves a pending schedule to a new due time; false if it is not pending. */
  reschedule(id: string, at: Date): Promise<boolean>;
  /** One page of schedules ordered by due time, then id. */
  list(filter?: ListFilter): Promise<Page<ScheduledMessage>>;
  /**
   * Declares a recurring message, idempotently by `name`: every instance of a service may declare
   * it and each tick still fires once. Re-declaring updates the payload; changing the cron or time
   * zone recomputes the next tick.
   */
  every<D extends MessageDefinition>(
    name: string,
    cron: string,
    message: D,
    payload: PayloadInput<D>,
    options?: { timezone?: string; unroutable?: UnroutablePolicy },
  ): Promise<void>;
  /** Removes a recurring schedule; false if there is none by that name. */
  removeRecurring(name: string): Promise<boolean>;
  /** Every recurring schedule, by name. */
  listRecurring(): Promise<RecurringSchedule[]>;
}

/**
 * Creates a scheduler: future messages (`schedule`), cancel by id or tags, and recurring messages
 * (`every`). Run `createSchedulerWorker` somewhere (on every instance is fine) to fire them.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ db, source: 'orders' });
 * await db.transaction().execute(async (trx) => {
 *   await trx.insertInto('orders').values(order).execute();
 *   await scheduler.schedule(trx, OrderReminder, { orderId: order.id }, { delay: '1h', tags: { orderId: order.id } });
 * });
 * await scheduler.cancel({ type: 'reminder', tags: { orderId: order.id } });
 * await scheduler.every('nightly-report', '0 2 * * *', NightlyReport, {}, { timezone: 'Europe/Paris' });
 * ```
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const parts: SchedulerParts = { db: options.db, t: schedulerTables(options.schema), source: options.source, codec: options.codec ?? jsonEnvelopeCodec };
  return { ...createOneOffSchedules(parts), ...createRecurringSchedules(parts) };
}
