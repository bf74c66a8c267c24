import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describeDefinition } from '../create-envelope.js';
import type { CommandDefinition, EventDefinition } from '../definitions.js';
import { BatchCollector } from '../dispatch/batch-collector.js';
import { createBatchRun } from '../dispatch/batch-run.js';
import type { BatchHandler, BatchOptions } from '../dispatch/batch-types.js';
import type { ContextRuntime, HandlerContext, MessageContext } from '../dispatch/handler-context.js';
import type { HandlerEntry } from '../dispatch/handler-entry.js';
import { toMilliseconds } from '../duration.js';
import { ConfigurationError } from '../errors.js';
import type { RateGates } from '../rate-limit/rate-gates.js';
import { resolveRetryPolicy } from '../retry-policy.js';
import type { BusSettings } from './bus-settings.js';
import { consumeLimitsOf, type ConsumeLimits } from './consume-limits.js';
import { nextName } from './handler-names.js';
import type { MetroOptions } from './metro-types.js';
import type { SubscriptionGroup } from './subscriptions.js';

/** Batch size when `maxSize` is not given (MassTransit's `MessageLimit` default), lowered to what the queue can hold. */
const DEFAULT_MAX_SIZE = 10;
/** `maxWait` when not given. */
const DEFAULT_MAX_WAIT = '50ms';
/** Extra time each message's own handler timer allows over `maxWait` plus the batch's `timeout` (the batch's timer fires first). */
const MESSAGE_TIMER_SLACK_MS = 1000;

/** The largest batch a queue can fill: a message waiting in a batch holds one of its concurrency and prefetch slots. */
function maxSizeOf(group: SubscriptionGroup, limits: ConsumeLimits, name: string, maxSize: number | undefined): number {
  const capacity = Math.min(limits.concurrency, limits.prefetch);
  if (maxSize === undefined) return Math.min(DEFAULT_MAX_SIZE, capacity);
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new ConfigurationError(`Batch handler "${name}": maxSize ${maxSize} is not a positive integer.`);
  if (maxSize > capacity) {
    const where =
      group.options.concurrency !== undefined || group.options.prefetch !== undefined
        ? `metro.subscription(name, { concurrency, prefetch })`
        : 'createMetro({ concurrency, prefetch })';
    throw new ConfigurationError(
      `Batch handler "${name}": maxSize ${maxSize} exceeds what queue "${group.queue}" holds at once (concurrency ${limits.concurrency}, prefetch ${limits.prefetch}): ` +
        `a message waiting in a batch holds a slot, so a batch could never fill. Raise concurrency and prefetch to at least ${maxSize} (${where}), or lower maxSize.`,
    );
  }
  return maxSize;
}

/**
 * What registering a batch handler (`onBatch`, `handleBatch`; internal) takes besides its
 * definition. To the dispatcher a batch handler is one more handler of the definition's messages:
 * each message is validated and retried on its own, and its handler call waits for its batch
 * ({@link BatchCollector}). The collector joins the queue's `batches`, for the bus's stop (flush, abort).
 */
interface BatchRegistration<Trx> {
  readonly settings: BusSettings;
  readonly options: MetroOptions<Trx>;
  readonly runtime: ContextRuntime;
  readonly group: SubscriptionGroup;
  readonly handler: BatchHandler<never, Trx>;
  readonly batchOptions: BatchOptions;
  /** Where a `rateLimit`'s gate comes from (the bus's, so `metro.stats()` lists it and `stop()` releases it). */
  readonly rateGates: RateGates;
}

/**
 * `metro.onBatch`: a batch handler of an event definition on `group`'s queue.
 *
 * @example
 * ```ts
 * addEventBatchHandler({ settings, options, runtime, group, definition: OrderPlaced, handler, batchOptions: { maxSize: 100 } });
 * ```
 */
export function addEventBatchHandler<Trx>(params: BatchRegistration<Trx> & { readonly definition: EventDefinition }): void {
  const { group, definition } = params;
  const kind = (definition as { kind?: unknown }).kind;
  if (kind !== 'event' || !('schema' in definition)) {
    const got = kind === 'command' ? `command "${describeDefinition(definition)}" (use metro.handleBatch())` : 'a route without a definition';
    throw new ConfigurationError(`metro.onBatch() takes an event definition (defineEvent): a batch holds messages of one validated type; got ${got}.`);
  }
  const { entry, collector } = batchEntry(params, definition, nextName(group, `${definition.topic}.${definition.type}`));
  group.router.addEvent(definition.topic, definition.type, entry);
  group.batches.push(collector);
}

/**
 * `metro.handleBatch`: the one handler of a command of this service, taking its messages in
 * batches, on the service queue (`group` is the bus's main group; the caller checked the
 * command is this service's).
 *
 * @example
 * ```ts
 * addCommandBatchHandler({ settings, options, runtime, group: main, definition: ImportRow, handler, batchOptions: { maxSize: 100 } });
 * ```
 */
export function addCommandBatchHandler<Trx>(params: BatchRegistration<Trx> & { readonly definition: CommandDefinition }): void {
  const { group, definition, settings } = params;
  const { entry, collector } = batchEntry(params, definition, `${settings.service}:${definition.type}`);
  group.router.addCommand(definition.type, entry);
  group.batches.push(collector);
}

/** The handler entry of a batch handler and its collector (which feeds the batches; the group flushes it at stop once registered). */
function batchEntry<Trx>(
  params: BatchRegistration<Trx>,
  definition: EventDefinition | CommandDefinition,
  defaultName: string,
): { entry: HandlerEntry; collector: BatchCollector } {
  const { settings, options, runtime, group, handler, batchOptions, rateGates } = params;
  const name = batchOptions.name ?? defaultName;
  if (typeof handler !== 'function') throw new ConfigurationError(`Batch handler "${name}" is not a function.`);
  const inbox = batchOptions.inbox === true ? options.inbox : undefined;
  if (batchOptions.inbox === true && inbox?.runBatch === undefined) {
    throw new ConfigurationError(
      inbox === undefined
        ? `Batch handler "${name}" has inbox: true but createMetro got no \`inbox\`; pass one (e.g. createInbox({ db })).`
        : `Batch handler "${name}" has inbox: true but the bus's inbox has no runBatch(); use createInbox of @metro/outbox-pg or memoryInbox(), or drop inbox: true.`,
    );
  }
  const limits = consumeLimitsOf(group.options, settings);
  const maxSize = maxSizeOf(group, limits, name, batchOptions.maxSize);
  const maxWaitMs = toMilliseconds(batchOptions.maxWait ?? DEFAULT_MAX_WAIT);
  const timeoutMs = batchOptions.timeout !== undefined ? toMilliseconds(batchOptions.timeout) : settings.handlerTimeoutMs;
  const run = createBatchRun({ service: settings.service, name, fn: handler as unknown as BatchHandler<unknown, unknown>, timeoutMs, inbox: inbox as never });
  const collector = new BatchCollector({ service: settings.service, name, queue: group.queue, maxSize, maxWaitMs, logger: runtime.logger, run });
  const entry: HandlerEntry = {
    name,
    priority: batchOptions.priority ?? 0,
    order: 0,
    definition,
    schema: definition.schema as StandardSchemaV1,
    fn: (payload: unknown, ctx: HandlerContext<unknown>) => collector.add(payload, ctx as MessageContext),
    retry: batchOptions.retry ? resolveRetryPolicy(batchOptions.retry, options.retry) : settings.baseRetry,
    timeoutMs: maxWaitMs + timeoutMs + MESSAGE_TIMER_SLACK_MS,
    // The collector runs the inbox once per batch, not the dispatcher once per message.
    inbox: false,
    // A message takes its rate slot before it joins a batch (the runner admits each message through the gate).
    rateGate: batchOptions.rateLimit && rateGates.forHandler(group.queue, name, batchOptions.rateLimit, limits.concurrency),
    batch: collector,
  };
  return { entry, collector };
}
