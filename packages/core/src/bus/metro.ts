import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Codec } from '../codec.js';
import { jsonEnvelopeCodec } from '../codecs/json-envelope-codec.js';
import { createEnvelope, describeDefinition, toOutgoingMessage } from '../create-envelope.js';
import type { CommandDefinition, EventDefinition, MessageDefinition } from '../definitions.js';
import { createDispatcher, type Dispatcher, type UnroutedHandler } from '../dispatch/dispatcher.js';
import { toMilliseconds } from '../duration.js';
import type { Envelope } from '../envelope.js';
import { ConfigurationError } from '../errors.js';
import type { ContextRuntime, HandlerContext } from '../dispatch/handler-context.js';
import type { HandlerEntry } from '../dispatch/handler-entry.js';
import { childLogger, defaultLogger } from '../logger.js';
import { InMemoryDeferredStore } from '../memory/deferred-store.js';
import { InMemoryFailureStore } from '../memory/failure-store.js';
import type { EventRoute, Handler, HandlerOptions, Metro, MetroOptions, SubscriptionOptions, SubscriptionScope } from './metro-types.js';
import type { PublishOptions } from '../publish-options.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retry-policy.js';
import { deferredReplayHeaders, failureReplayHeaders } from '../replay.js';
import { Router } from '../dispatch/router.js';
import { validate } from '../schema.js';
import type { Consumer, Delivery, HeaderValue, OutgoingMessage } from '../transport.js';
import { acceptsUnroutable, UnroutableEvents, unroutablePolicyOf } from '../unroutable-policy.js';

interface Group {
  readonly queue: string;
  readonly router: Router;
  readonly commands: boolean;
  readonly options: SubscriptionOptions;
  unrouted: UnroutedHandler | undefined;
  dispatcher: Dispatcher | undefined;
  consumer: Consumer | undefined;
  readonly nameCounts: Map<string, number>;
}

function isDefinition(value: EventDefinition | EventRoute): value is EventDefinition {
  return (value as EventDefinition).kind === 'event' && 'schema' in value;
}

/**
 * Creates the bus of one service. Register handlers, `start()`, publish and send; `stop()` on
 * shutdown. See {@link MetroOptions} for the defaults.
 *
 * @example
 * ```ts
 * const metro = createMetro({ service: 'billing', transport: new InMemoryTransport() });
 * metro.on(OrderPlaced, async (order, ctx) => { await ctx.send(ChargeCard, { orderId: order.orderId }); });
 * metro.handle(ChargeCard, async (cmd) => charge(cmd.orderId));
 * await metro.start();
 * await metro.publish(OrderPlaced, { orderId: '1' });
 * await metro.stop();
 * ```
 */
export function createMetro<Trx = unknown>(options: MetroOptions<Trx>): Metro<Trx> {
  const { service, transport } = options;
  if (!/^[A-Za-z0-9_.:-]+$/.test(service)) throw new ConfigurationError(`Invalid service name "${service}": use letters, digits, '-', '_', '.' or ':'.`);
  const logger = options.logger ?? defaultLogger;
  const codec: Codec = options.codec ?? jsonEnvelopeCodec;
  const failures = options.failures ?? new InMemoryFailureStore();
  const deferred = options.deferred ?? new InMemoryDeferredStore();
  const baseRetry = resolveRetryPolicy(options.retry);
  const handlerTimeoutMs = toMilliseconds(options.handlerTimeout ?? '5m');
  const maxMessageBytes = options.maxMessageBytes ?? 1024 * 1024;
  const concurrency = options.concurrency ?? 16;
  const prefetch = options.prefetch ?? concurrency * 2;
  const stopTimeoutMs = toMilliseconds(options.stopTimeout ?? '10s');
  const requeueDelayMs = toMilliseconds(options.requeueDelay ?? '1s');
  const groups = new Map<string, Group>();
  const unroutable = new UnroutableEvents(childLogger(logger, { service }));
  let state: 'idle' | 'starting' | 'started' | 'stopping' | 'stopped' = 'idle';
  let startPromise: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;

  function newGroup(queue: string, commands: boolean, groupOptions: SubscriptionOptions): Group {
    const group: Group = { queue, router: new Router(), commands, options: groupOptions, unrouted: undefined, dispatcher: undefined, consumer: undefined, nameCounts: new Map() };
    groups.set(queue, group);
    return group;
  }
  const main = newGroup(service, true, {});

  async function publishEnvelope(definition: MessageDefinition, payload: unknown, publishOptions: PublishOptions = {}): Promise<Envelope> {
    const policy = unroutablePolicyOf(definition, publishOptions.unroutable);
    const envelope = await createEnvelope(definition, payload as never, { ...publishOptions, source: service });
    const message: OutgoingMessage = toOutgoingMessage(envelope, publishOptions.codec ?? codec, {
      ...(publishOptions.headers ? { headers: { ...publishOptions.headers } } : {}),
      ...(publishOptions.priority !== undefined ? { priority: publishOptions.priority } : {}),
      ...(publishOptions.delay !== undefined ? { delayMs: toMilliseconds(publishOptions.delay) } : {}),
    });
    try {
      await transport.publish(message);
    } catch (err) {
      if (!acceptsUnroutable(policy, message, err)) throw err;
      unroutable.record(message);
    }
    return envelope;
  }

  const runtime: ContextRuntime = {
    service,
    logger,
    deferred,
    publish: (definition, payload, publishOptions) => metro.publish(definition, payload as never, publishOptions),
    send: (definition, payload, publishOptions) => metro.send(definition, payload as never, publishOptions),
  };

  function dispatcherOf(group: Group): Dispatcher {
    group.dispatcher ??= createDispatcher({
      service,
      router: group.router,
      acceptsCommands: group.commands,
      codec,
      transport,
      failures,
      runtime,
      inbox: options.inbox as never,
      maxMessageBytes,
      unrouted: () => group.unrouted,
      requeueDelayMs,
    });
    return group.dispatcher;
  }

  function assertConfigurable(): void {
    if (state !== 'idle') throw new ConfigurationError('Register handlers before metro.start(); the queues and bindings are declared at start.');
  }

  function entryOf(name: string, definition: MessageDefinition | undefined, handler: Handler<never, Trx>, handlerOptions: HandlerOptions): HandlerEntry {
    if (typeof handler !== 'function') throw new ConfigurationError(`Handler "${name}" is not a function.`);
    if (handlerOptions.inbox && options.inbox === undefined) {
      throw new ConfigurationError(`Handler "${name}" has inbox: true but createMetro got no \`inbox\`; pass one (e.g. createInbox({ db })).`);
    }
    const retry: RetryPolicy = handlerOptions.retry ? resolveRetryPolicy(handlerOptions.retry, options.retry) : baseRetry;
    return {
      name,
      priority: handlerOptions.priority ?? 0,
      order: 0,
      definition,
      schema: definition?.schema as StandardSchemaV1 | undefined,
      fn: handler as unknown as (payload: unknown, ctx: HandlerContext<unknown>) => unknown,
      retry,
      timeoutMs: handlerOptions.timeout !== undefined ? toMilliseconds(handlerOptions.timeout) : handlerTimeoutMs,
      inbox: handlerOptions.inbox === true,
    };
  }

  function scopeOf(group: Group): SubscriptionScope<Trx> {
    return {
      queue: group.queue,
      on(target: EventDefinition | EventRoute, handler: Handler<never, Trx>, handlerOptions: HandlerOptions = {}): void {
        assertConfigurable();
        const definition = isDefinition(target) ? target : undefined;
        const topic = target.topic;
        const subject = definition ? definition.type : (target as EventRoute).subject;
        const key = `${topic}.${String(subject)}`;
        const index = group.nameCounts.get(key) ?? 0;
        group.nameCounts.set(key, index + 1);
        const entry = entryOf(handlerOptions.name ?? `${key}#${index}`, definition, handler, handlerOptions);
        const route = definition ? undefined : (target as EventRoute);
        group.router.addEvent(topic, subject, entry, {
          ...(route?.exchangeType !== undefined ? { exchangeType: route.exchangeType } : {}),
          ...(route?.external !== undefined ? { external: route.external } : {}),
          ...(route?.codec !== undefined ? { codec: route.codec } : {}),
        });
      },
      onUnrouted(handler: UnroutedHandler): void {
        group.unrouted = handler;
      },
    } as SubscriptionScope<Trx>;
  }

  function findEntry(queue: string, handler: string | null, type: string | null): HandlerEntry | undefined {
    const group = groups.get(queue);
    if (!group) return undefined;
    if (handler !== null) return group.router.handler(handler);
    return type !== null ? group.router.command(type) : undefined;
  }

  async function republish(queue: string, body: Uint8Array, messageId: string, contentType: string, headers: Record<string, HeaderValue>): Promise<void> {
    await transport.publish({ destination: { kind: 'queue', queue }, body, messageId, contentType, headers });
  }

  const mainScope = scopeOf(main);

  const metro: Metro<Trx> = {
    service,
    transport,
    failures,
    deferred,
    queue: main.queue,
    on: mainScope.on,
    onUnrouted: mainScope.onUnrouted,
    handle(definition, handler, handlerOptions = {}) {
      assertConfigurable();
      if (definition.kind !== 'command') throw new ConfigurationError(`metro.handle() takes a command definition; use metro.on() for event "${describeDefinition(definition)}".`);
      if (definition.service !== service) {
        throw new ConfigurationError(`Command "${describeDefinition(definition)}" belongs to service "${definition.service}", not "${service}"; only its own service handles it.`);
      }
      main.router.addCommand(definition.type, entryOf(handlerOptions.name ?? `${service}:${definition.type}`, definition, handler as Handler<never, Trx>, handlerOptions));
    },
    subscription(name, subscriptionOptions = {}) {
      if (!/^[A-Za-z0-9_.:-]+$/.test(name)) throw new ConfigurationError(`Invalid subscription name "${name}": use letters, digits, '-', '_', '.' or ':'.`);
      const queue = `${service}.${name}`;
      const existing = groups.get(queue);
      if (existing) return scopeOf(existing);
      assertConfigurable();
      return scopeOf(newGroup(queue, false, subscriptionOptions));
    },
    async publish(definition, payload, publishOptions) {
      if (definition.kind !== 'event') throw new ConfigurationError(`metro.publish() takes an event definition; use metro.send() for command "${describeDefinition(definition)}".`);
      return (await publishEnvelope(definition, payload, publishOptions)) as never;
    },
    async send(definition, payload, publishOptions) {
      if (definition.kind !== 'command') throw new ConfigurationError(`metro.send() takes a command definition; use metro.publish() for event "${describeDefinition(definition)}".`);
      return (await publishEnvelope(definition, payload, publishOptions)) as never;
    },
    start() {
      if (state === 'stopping' || state === 'stopped') return Promise.reject(new ConfigurationError('This Metro was stopped; create a new one with createMetro().'));
      startPromise ??= (async () => {
        state = 'starting';
        await transport.start();
        for (const group of groups.values()) {
          await transport.declareQueue({ queue: group.queue, bindings: group.router.bindings, ...(group.commands ? { commandsFor: service } : {}) });
        }
        for (const group of groups.values()) {
          const groupConcurrency = group.options.concurrency ?? concurrency;
          const dispatcher = dispatcherOf(group);
          group.consumer = await transport.consume(group.queue, dispatcher.dispatch, {
            concurrency: groupConcurrency,
            prefetch: group.options.prefetch ?? (group.options.concurrency !== undefined ? groupConcurrency * 2 : prefetch),
          });
        }
        state = 'started';
        logger.info({ service, queues: [...groups.keys()] }, 'metro started');
      })();
      return startPromise;
    },
    stop(stopOptions = {}) {
      stopPromise ??= (async () => {
        await startPromise?.catch(() => undefined);
        state = 'stopping';
        const dispatchers = [...groups.values()].map((g) => g.dispatcher).filter((d): d is Dispatcher => d !== undefined);
        for (const d of dispatchers) d.beginStop();
        const cancelled = Promise.all([...groups.values()].map((g) => g.consumer?.cancel()));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          cancelled.then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), stopTimeoutMs))),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          logger.warn({ service, stopTimeoutMs }, 'handlers still running at stop timeout; aborting them (their messages are requeued)');
          for (const d of dispatchers) d.abortAll();
          await cancelled;
        }
        await Promise.all(dispatchers.map((d) => d.idle()));
        if (stopOptions.closeTransport ?? options.closeTransport ?? true) await transport.close();
        state = 'stopped';
        logger.info({ service }, 'metro stopped');
      })();
      return stopPromise;
    },
    async retryFailure(id, retryOptions = {}) {
      const record = await failures.claimRetry(id);
      if (!record) return false;
      try {
        let body = record.body;
        let contentType = record.contentType;
        if ('payload' in retryOptions) {
          if (!record.envelope) throw new ConfigurationError(`Failure ${id} has no decoded envelope (reason "${record.reason}"); it can be retried only as it was, without a new payload.`);
          const entry = findEntry(record.queue, record.handler, record.envelope.kind === 'command' ? record.envelope.type : null);
          const data = entry?.schema ? await validate(entry.schema, retryOptions.payload, `New payload of failure ${id}`) : retryOptions.payload;
          const group = groups.get(record.queue);
          const encoded = (group?.router.codecFor(record.topic ?? undefined) ?? codec).encode({ ...record.envelope, data });
          body = encoded.body;
          contentType = encoded.contentType;
        }
        await republish(record.queue, body, record.messageId, contentType, failureReplayHeaders(record));
        logger.info({ service, failureId: id, messageId: record.messageId }, 'failure replayed');
        return true;
      } catch (err) {
        await failures.releaseRetry(id);
        throw err;
      }
    },
    async completeDeferred(seq) {
      return (await deferred.take(seq)) !== undefined;
    },
    async resumeDeferred(seq) {
      const record = await deferred.take(seq);
      if (!record) return false;
      try {
        await republish(record.queue, record.body, record.messageId, record.contentType, deferredReplayHeaders(record));
        return true;
      } catch (err) {
        await deferred.restore(record);
        throw err;
      }
    },
    stats() {
      return { unroutable: unroutable.stats() };
    },
    dispatcher(subscription) {
      const group = groups.get(subscription === undefined ? service : `${service}.${subscription}`);
      if (!group) throw new ConfigurationError(`No subscription "${String(subscription)}" on service "${service}".`);
      const dispatcher = dispatcherOf(group);
      return (delivery: Delivery) => dispatcher.dispatch(delivery);
    },
  };
  return metro;
}
