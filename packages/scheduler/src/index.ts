// @metro/scheduler public entry.
export { createScheduler } from './scheduler.js';
export type { Scheduler, SchedulerOptions, ScheduleOptions, CancelFilter } from './scheduler.js';
export { createAggregateEventScheduler } from './aggregate-events.js';
export type { AggregateEventScheduler } from './aggregate-events.js';
export { createSchedulerWorker } from './scheduler-worker.js';
export type { SchedulerWorker, SchedulerWorkerOptions } from './scheduler-worker.js';
export type { SchedulerWorkerHealthOptions } from './worker-health.js';
export { migrateScheduler, schedulerMigrations } from './migrations.js';
export type { ListFilter } from './scheduled-listing.js';
export type { ScheduledMessage, RecurringSchedule, ScheduleStatus } from './scheduled-message.js';
export type { NotificationSource } from './notifications.js';
export { normalizeTags } from './tags.js';
export type { Tags, TagValue, StoredTags } from './tags.js';
export { nextCronTime, assertValidCron } from './cron.js';
export { InvalidTagsError, InvalidCronError, InvalidScheduleError, SCHEDULER_ERROR_CODES } from './errors.js';
export type { SchedulerErrorCode } from './errors.js';
