import { ConfigurationError } from '../errors.js';
import type { Binding, Destination } from '../transport.js';
import { InMemoryTopic } from './in-memory-topic.js';

/**
 * The in-memory broker's routing table: topics (exchanges) with their queue bindings, and the
 * command route of each service. It names queues; the transport owns the queues themselves.
 *
 * @example
 * ```ts
 * const routes = new InMemoryRoutes();
 * routes.bind('billing', [{ topic: 'orders', pattern: 'placed.*' }]);
 * [...(routes.queuesFor({ kind: 'topic', topic: 'orders', subject: 'placed.eu' }) ?? [])]; // ['billing']
 * ```
 */
export class InMemoryRoutes {
  private readonly topics = new Map<string, InMemoryTopic>();
  private readonly commandRoutes = new Map<string, Set<string>>();

  /** Binds a queue to topics, declaring each topic (with its exchange type) on first use. */
  bind(queue: string, bindings: ReadonlyArray<Binding>): void {
    for (const binding of bindings) {
      const declared = binding.exchangeType ?? 'topic';
      let topic = this.topics.get(binding.topic);
      if (topic === undefined) {
        topic = new InMemoryTopic(binding.topic, declared);
        this.topics.set(binding.topic, topic);
      } else if (topic.type !== declared && binding.external !== true) {
        throw new ConfigurationError(
          `Topic "${binding.topic}" is a ${topic.type} exchange; it cannot be bound as ${declared}. Declare it with one exchange type everywhere.`,
        );
      }
      topic.bind(queue, binding.pattern);
    }
  }

  /** Makes the commands sent to `service` arrive in `queue`. */
  addCommandRoute(service: string, queue: string): void {
    const routes = this.commandRoutes.get(service) ?? new Set<string>();
    routes.add(queue);
    this.commandRoutes.set(service, routes);
  }

  /** The names of the queues a destination reaches (some may no longer exist). */
  queuesFor(destination: Destination): Iterable<string> | undefined {
    if (destination.kind === 'topic') return this.topics.get(destination.topic)?.route(destination.subject);
    if (destination.kind === 'command') return this.commandRoutes.get(destination.service);
    return [destination.queue];
  }

  /** Removes a deleted queue from every binding and command route. */
  forgetQueue(queue: string): void {
    for (const topic of this.topics.values()) topic.unbindQueue(queue);
    for (const routes of this.commandRoutes.values()) routes.delete(queue);
  }
}
