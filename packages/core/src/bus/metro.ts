import { describeDefinition } from '../create-envelope.js';
import type { BatchHandler } from '../dispatch/batch-types.js';
import type { ContextRuntime } from '../dispatch/handler-context.js';
import { ConfigurationError } from '../errors.js';
import { busHealth } from '../health/bus-health.js';
import { childLogger } from '../logger.js';
import type { Delivery } from '../transport.js';
import { UnroutableEvents } from '../unroutable-policy.js';
import { resolveBusSettings } from './bus-settings.js';
import { createBusReplay } from './failure-replay.js';
import { createLifecycle } from './lifecycle.js';
import type { Handler, Metro, MetroOptions } from './metro-types.js';
import { createPublisher } from './publishing.js';
import { createSubscriptions, type Subscriptions } from './subscriptions.js';
import { createSyncDispatch } from './sync-dispatch.js';

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
  const settings = resolveBusSettings(options as MetroOptions<never>);
  const { service, transport, failures, deferred, logger } = settings;
  const unroutable = new UnroutableEvents(childLogger(logger, { service }));
  const publishEnvelope = createPublisher(service, transport, settings.codec, unroutable);
  const runtime: ContextRuntime = {
    service,
    logger,
    deferred,
    publish: (definition, payload, publishOptions) => metro.publish(definition, payload as never, publishOptions),
    send: (definition, payload, publishOptions) => metro.send(definition, payload as never, publishOptions),
  };
  const lifecycle = createLifecycle(settings, () => subscriptions as Subscriptions<unknown>);
  const subscriptions = createSubscriptions<Trx>(settings, options, runtime, lifecycle.assertConfigurable);
  const replay = createBusReplay({
    service,
    transport,
    failures,
    deferred,
    codec: settings.codec,
    logger,
    subscriptions: subscriptions as Subscriptions<unknown>,
  });
  const mainScope = subscriptions.scopeOf(subscriptions.main);
  const runSync = createSyncDispatch({ service, codec: settings.codec, runtime, inbox: options.inbox as never, groups: () => subscriptions.groups.values() });
  const syncByDefault = options.mode === 'sync';

  const metro: Metro<Trx> = {
    service,
    transport,
    failures,
    deferred,
    queue: subscriptions.main.queue,
    on: mainScope.on,
    onAny: mainScope.onAny,
    onBatch: mainScope.onBatch,
    onUnrouted: mainScope.onUnrouted,
    handle(definition, handler, handlerOptions = {}) {
      subscriptions.handle(definition, handler as Handler<never, Trx>, handlerOptions);
    },
    handleBatch(definition, handler, batchOptions = {}) {
      subscriptions.handleBatch(definition, handler as BatchHandler<never, Trx>, batchOptions);
    },
    subscription(name, subscriptionOptions = {}) {
      return subscriptions.subscription(name, subscriptionOptions);
    },
    // Not async: a publish awaiting its confirm holds the publisher's promise chain only (no extra frame).
    publish(definition, payload, publishOptions) {
      if (definition.kind !== 'event')
        return Promise.reject(
          new ConfigurationError(`metro.publish() takes an event definition; use metro.send() for command "${describeDefinition(definition)}".`),
        );
      if (publishOptions?.sync ?? syncByDefault) return runSync(definition, payload, publishOptions ?? {}) as never;
      return publishEnvelope(definition, payload, publishOptions) as never;
    },
    send(definition, payload, publishOptions) {
      if (definition.kind !== 'command')
        return Promise.reject(
          new ConfigurationError(`metro.send() takes a command definition; use metro.publish() for event "${describeDefinition(definition)}".`),
        );
      if (publishOptions?.sync ?? syncByDefault) return runSync(definition, payload, publishOptions ?? {}) as never;
      return publishEnvelope(definition, payload, publishOptions) as never;
    },
    start: () => lifecycle.start(),
    stop: (stopOptions = {}) => lifecycle.stop(stopOptions, options.closeTransport ?? true),
    retryFailure: (id, retryOptions) => replay.retryFailure(id, retryOptions),
    completeDeferred: (seq) => replay.completeDeferred(seq),
    resumeDeferred: (seq) => replay.resumeDeferred(seq),
    stats() {
      return { unroutable: unroutable.stats(), rateLimits: subscriptions.rateGates.stats() };
    },
    async health(healthOptions) {
      const groups = [...subscriptions.groups.values()];
      const consuming = groups.filter((g) => g.consumer !== undefined).map((g) => g.queue);
      return busHealth(
        { service, transport, state: lifecycle.state, startError: lifecycle.startError, queues: groups.map((g) => g.queue), consuming },
        healthOptions,
      );
    },
    dispatcher(subscription) {
      const group = subscriptions.groups.get(subscription === undefined ? subscriptions.main.queue : `${subscriptions.main.queue}.${subscription}`);
      if (!group) throw new ConfigurationError(`No subscription "${String(subscription)}" on service "${service}".`);
      const dispatcher = subscriptions.dispatcherOf(group);
      return (delivery: Delivery) => dispatcher.dispatch(delivery);
    },
  };
  return metro;
}
