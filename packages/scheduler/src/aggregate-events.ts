import { aggregateEnvelopeCodec, type EventDefinition, type PayloadInput } from '@metro/core';
import type { Executor } from '@metro/outbox-pg';
import { InvalidScheduleError } from './errors.js';
import { createScheduler, type ScheduleOptions, type Scheduler, type SchedulerOptions } from './scheduler.js';
import type { Tags } from './tags.js';

/**
 * Future events in the aggregate envelope (`{ eventId, eventTime, eventType, aggregate, payload }`,
 * to exchange = aggregate, routing key = event type) that Python services consume: what
 * django-microservices-communication's `publish_future_aggregate_event` and
 * `cancel_future_aggregate_event` do. See {@link createAggregateEventScheduler}.
 */
export interface AggregateEventScheduler {
  /** The underlying scheduler (its codec is `aggregateEnvelopeCodec`): `list`, `cancelById`, `reschedule`... */
  readonly scheduler: Scheduler;
  /** Schedules `event` (its topic is the aggregate) with `payload`, due `at` or after `delay`, findable by `tags`. */
  schedule<D extends EventDefinition>(trx: Executor | undefined, event: D, payload: PayloadInput<D>, options: ScheduleOptions): Promise<string>;
  /**
   * Cancels the pending schedules of this event whose tags include all of `tags`, in this
   * event's aggregate only (another aggregate's events of the same type are left alone). Tags
   * may not be empty (as in that library): cancelling every schedule of a type is `scheduler.cancel`.
   */
  cancel(event: EventDefinition, tags: Tags): Promise<number>;
}

/**
 * Creates a scheduler of aggregate-format events: a scheduler whose messages are encoded with
 * `aggregateEnvelopeCodec` (so a Python consumer of the aggregate's exchange reads them when they
 * fire), and whose `cancel` is limited to one aggregate. Fire them with `createSchedulerWorker`.
 *
 * @example
 * ```ts
 * const UserUpdated = defineEvent({ topic: 'user', type: 'update.base', schema: UserSchema });
 * const future = createAggregateEventScheduler({ db, source: 'accounts' });
 * await future.schedule(trx, UserUpdated, user, { at: renewalDate, tags: { userId: user.id } });
 * await future.cancel(UserUpdated, { userId: user.id }); // this user's, in aggregate 'user' only
 * ```
 */
export function createAggregateEventScheduler(options: Omit<SchedulerOptions, 'codec'>): AggregateEventScheduler {
  const scheduler = createScheduler({ ...options, codec: aggregateEnvelopeCodec });
  return {
    scheduler,
    schedule: (trx, event, payload, scheduleOptions) => {
      if (event.kind !== 'event')
        return Promise.reject(new InvalidScheduleError('an aggregate event scheduler schedules events (defineEvent, topic = the aggregate)'));
      return scheduler.schedule(trx, event, payload, scheduleOptions);
    },
    cancel: (event, tags) => {
      if (tags === null || typeof tags !== 'object' || Object.keys(tags).length === 0) {
        return Promise.reject(
          new InvalidScheduleError('cancelling aggregate events needs tags; to cancel every schedule of a type use scheduler.cancel({ type, topic })'),
        );
      }
      return scheduler.cancel({ type: event.type, topic: event.topic, tags });
    },
  };
}
