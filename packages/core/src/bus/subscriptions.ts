import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describeDefinition } from '../create-envelope.js';
import type { CommandDefinition, EventDefinition, MessageDefinition } from '../definitions.js';
import { createDispatcher, type Dispatcher, type UnroutedHandler } from '../dispatch/dispatcher.js';
import type { ContextRuntime, HandlerContext } from '../dispatch/handler-context.js';
import type { HandlerEntry } from '../dispatch/handler-entry.js';
import { Router } from '../dispatch/router.js';
import { toMilliseconds } from '../duration.js';
import { ConfigurationError } from '../errors.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retry-policy.js';
import type { Consumer } from '../transport.js';
import type { HandlerRateGate } from '../rate-limit/handler-rate-gate.js';
import { RateGates } from '../rate-limit/rate-gates.js';
import type { SubscriptionRateGate } from '../rate-limit/subscription-rate-gate.js';
import type { BatchCollector } from '../dispatch/batch-collector.js';
import type { BatchHandler, BatchOptions } from '../dispatch/batch-types.js';
import { addCommandBatchHandler, addEventBatchHandler } from './batch-registration.js';
import { assertName, type BusSettings } from './bus-settings.js';
import { nextName } from './handler-names.js';
import type { CatchAllOptions, EventRoute, Handler, HandlerOptions, MetroOptions, SubscriptionOptions, SubscriptionScope } from './metro-types.js';

/** One queue of the bus: the service queue (events and commands) or a named subscription (events). */
export interface SubscriptionGroup {
  readonly queue: string;
  readonly router: Router;
  readonly commands: boolean;
  readonly options: SubscriptionOptions;
  unrouted: UnroutedHandler | undefined;
  dispatcher: Dispatcher | undefined;
  consumer: Consumer | undefined;
  /** The queue's `rateLimit` (subscriptions only), applied to its consumer. */
  readonly rateGate: SubscriptionRateGate | undefined;
  /** Handlers registered per `topic.subject`, for default names (`orders.placed#0`). */
  readonly nameCounts: Map<string, number>;
  /** The batch collectors of its `onBatch` (and, on the service queue, `handleBatch`) handlers (flushed at stop). */
  readonly batches: BatchCollector[];
}

/** The bus's queues and their handlers, registered before `start()`. */
export interface Subscriptions<Trx> {
  readonly groups: ReadonlyMap<string, SubscriptionGroup>;
  /** The service queue. */
  readonly main: SubscriptionGroup;
  /** The rate limiters of the bus's queues and handlers. */
  readonly rateGates: RateGates;
  /** `metro.on` / `onUnrouted` of one queue. */
  scopeOf(group: SubscriptionGroup): SubscriptionScope<Trx>;
  /** `metro.handle`: the one handler of a command of this service. */
  handle(definition: CommandDefinition, handler: Handler<never, Trx>, handlerOptions: HandlerOptions): void;
  /** `metro.handleBatch`: the one handler of a command of this service, taking its messages in batches. */
  handleBatch(definition: CommandDefinition, handler: BatchHandler<never, Trx>, batchOptions: BatchOptions): void;
  /** `metro.subscription`: a named queue of this service (the same one when asked twice). */
  subscription(name: string, subscriptionOptions: SubscriptionOptions): SubscriptionScope<Trx>;
  /** The dispatch step of a queue, built on first use. */
  dispatcherOf(group: SubscriptionGroup): Dispatcher;
  /** The handler a failure record names, or its command's handler. */
  findEntry(queue: string, handler: string | null, type: string | null): HandlerEntry | undefined;
}

/** A command `service` may register a handler for (`what`: the method; `forEvents`: the one to use for an event). */
function assertOwnCommand(definition: CommandDefinition, service: string, what: string, forEvents: string): void {
  if (definition.kind !== 'command')
    throw new ConfigurationError(`${what} takes a command definition; use ${forEvents} for event "${describeDefinition(definition)}".`);
  if (definition.service !== service) {
    throw new ConfigurationError(
      `Command "${describeDefinition(definition)}" belongs to service "${definition.service}", not "${service}"; only its own service handles it.`,
    );
  }
}

function isDefinition(value: EventDefinition | EventRoute): value is EventDefinition {
  return (value as EventDefinition).kind === 'event' && 'schema' in value;
}

/** A handler as the router keeps it: its name, schema, retry policy and timeout resolved from the bus's defaults. */
function createEntry<Trx>(
  settings: BusSettings,
  options: MetroOptions<Trx>,
  name: string,
  definition: MessageDefinition | undefined,
  handler: Handler<never, Trx>,
  handlerOptions: HandlerOptions,
  rateGate: HandlerRateGate | undefined,
): HandlerEntry {
  if (typeof handler !== 'function') throw new ConfigurationError(`Handler "${name}" is not a function.`);
  if (handlerOptions.inbox && options.inbox === undefined) {
    throw new ConfigurationError(`Handler "${name}" has inbox: true but createMetro got no \`inbox\`; pass one (e.g. createInbox({ db })).`);
  }
  const retry: RetryPolicy = handlerOptions.retry ? resolveRetryPolicy(handlerOptions.retry, options.retry) : settings.baseRetry;
  return {
    name,
    priority: handlerOptions.priority ?? 0,
    order: 0,
    definition,
    schema: definition?.schema as StandardSchemaV1 | undefined,
    fn: handler as unknown as (payload: unknown, ctx: HandlerContext<unknown>) => unknown,
    retry,
    timeoutMs: handlerOptions.timeout !== undefined ? toMilliseconds(handlerOptions.timeout) : settings.handlerTimeoutMs,
    inbox: handlerOptions.inbox === true,
    rateGate, // always set, so every entry has one shape
  };
}

/** The rate limiter of a handler registered with a `rateLimit`, sized by its queue's concurrency. */
function handlerGate(
  gates: RateGates,
  settings: BusSettings,
  group: SubscriptionGroup,
  name: string,
  handlerOptions: HandlerOptions,
): HandlerRateGate | undefined {
  const limit = handlerOptions.rateLimit;
  return limit && gates.forHandler(group.queue, name, limit, group.options.concurrency ?? settings.concurrency);
}

/**
 * Builds the bus's registration part. `assertConfigurable` throws once the bus has started;
 * `runtime` is what handler contexts publish through.
 *
 * @example
 * ```ts
 * const subscriptions = createSubscriptions(settings, options, runtime, assertConfigurable);
 * subscriptions.scopeOf(subscriptions.main).on(OrderPlaced, handler);
 * ```
 */
export function createSubscriptions<Trx>(
  settings: BusSettings,
  options: MetroOptions<Trx>,
  runtime: ContextRuntime,
  assertConfigurable: () => void,
): Subscriptions<Trx> {
  const { service } = settings;
  const groups = new Map<string, SubscriptionGroup>();
  const rateGates = new RateGates(settings.transport, settings.logger);

  function newGroup(queue: string, commands: boolean, groupOptions: SubscriptionOptions): SubscriptionGroup {
    const group: SubscriptionGroup = {
      queue,
      router: new Router(),
      commands,
      options: groupOptions,
      unrouted: undefined,
      dispatcher: undefined,
      consumer: undefined,
      rateGate: groupOptions.rateLimit !== undefined ? rateGates.forQueue(queue, groupOptions.rateLimit) : undefined,
      nameCounts: new Map(),
      batches: [],
    };
    groups.set(queue, group);
    return group;
  }
  const mainQueue = options.queue ?? service;
  if (options.queue !== undefined) assertName('queue', options.queue);
  const main = newGroup(mainQueue, true, {});
  for (const binding of options.bindings ?? []) main.router.addBinding(binding.topic, binding.pattern ?? '#', binding);

  const entryOf = (
    group: SubscriptionGroup,
    name: string,
    definition: MessageDefinition | undefined,
    handler: Handler<never, Trx>,
    handlerOptions: HandlerOptions,
  ) => createEntry(settings, options, name, definition, handler, handlerOptions, handlerGate(rateGates, settings, group, name, handlerOptions));

  function scopeOf(group: SubscriptionGroup): SubscriptionScope<Trx> {
    return {
      queue: group.queue,
      on(target: EventDefinition | EventRoute, handler: Handler<never, Trx>, handlerOptions: HandlerOptions = {}): void {
        assertConfigurable();
        const definition = isDefinition(target) ? target : undefined;
        const topic = target.topic;
        const subject = definition ? definition.type : (target as EventRoute).subject;
        const defaultName = nextName(group, `${topic}.${String(subject)}`);
        const entry = entryOf(group, handlerOptions.name ?? defaultName, definition, handler, handlerOptions);
        const route = definition ? undefined : (target as EventRoute);
        group.router.addEvent(topic, subject, entry, {
          ...(route?.exchangeType !== undefined ? { exchangeType: route.exchangeType } : {}),
          ...(route?.external !== undefined ? { external: route.external } : {}),
          ...(route?.codec !== undefined ? { codec: route.codec } : {}),
        });
      },
      onAny(handler: Handler<never, Trx>, handlerOptions: CatchAllOptions = {}): void {
        assertConfigurable();
        const index = group.nameCounts.get('*') ?? 0;
        group.nameCounts.set('*', index + 1);
        group.router.addCatchAll(entryOf(group, handlerOptions.name ?? `*#${index}`, undefined, handler, handlerOptions), handlerOptions.fallback === true);
      },
      onBatch(definition: EventDefinition, handler: BatchHandler<never, Trx>, batchOptions: BatchOptions = {}): void {
        assertConfigurable();
        addEventBatchHandler({ settings, options, runtime, group, definition, handler, batchOptions, rateGates });
      },
      onUnrouted(handler: UnroutedHandler): void {
        group.unrouted = handler;
      },
    } as SubscriptionScope<Trx>;
  }

  return {
    groups,
    main,
    rateGates,
    scopeOf,
    handle(definition, handler, handlerOptions) {
      assertConfigurable();
      assertOwnCommand(definition, service, 'metro.handle()', 'metro.on()');
      main.router.addCommand(definition.type, entryOf(main, handlerOptions.name ?? `${service}:${definition.type}`, definition, handler, handlerOptions));
    },
    handleBatch(definition, handler, batchOptions) {
      assertConfigurable();
      assertOwnCommand(definition, service, 'metro.handleBatch()', 'metro.onBatch()');
      addCommandBatchHandler({ settings, options, runtime, group: main, definition, handler, batchOptions, rateGates });
    },
    subscription(name, subscriptionOptions) {
      assertName('subscription', name);
      const queue = `${mainQueue}.${name}`;
      const existing = groups.get(queue);
      if (existing) return scopeOf(existing);
      assertConfigurable();
      return scopeOf(newGroup(queue, false, subscriptionOptions));
    },
    dispatcherOf(group) {
      group.dispatcher ??= createDispatcher({
        service,
        router: group.router,
        acceptsCommands: group.commands,
        codec: settings.codec,
        transport: settings.transport,
        failures: settings.failures,
        runtime,
        inbox: options.inbox as never,
        maxMessageBytes: settings.maxMessageBytes,
        unrouted: () => group.unrouted,
        requeueDelayMs: settings.requeueDelayMs,
      });
      return group.dispatcher;
    },
    findEntry(queue, handler, type) {
      const group = groups.get(queue);
      if (!group) return undefined;
      if (handler !== null) return group.router.handler(handler);
      return type !== null ? group.router.command(type) : undefined;
    },
  };
}
