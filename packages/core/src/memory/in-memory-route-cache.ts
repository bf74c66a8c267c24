import type { Destination } from '../transport.js';
import type { InMemoryQueue } from './in-memory-queue.js';

const NO_QUEUES: ReadonlyArray<InMemoryQueue> = Object.freeze([]);

/**
 * Remembers which queues each destination reached, so a publish to a subject seen before costs one
 * or two `Map` lookups instead of matching every binding's pattern. The broker clears it whenever
 * its topology changes (a queue declared, bound or deleted); it holds at most `limit` destinations
 * and starts over when full (subjects that carry ids would otherwise grow it without end).
 *
 * @example
 * ```ts
 * const cache = new InMemoryRouteCache((d) => resolveQueues(d));
 * cache.queuesFor({ kind: 'topic', topic: 'orders', subject: 'placed.eu' }); // resolved once, then remembered
 * cache.clear(); // after declareQueue / deleteQueue
 * ```
 */
export class InMemoryRouteCache {
  private readonly topics = new Map<string, Map<string, ReadonlyArray<InMemoryQueue>>>();
  private readonly commands = new Map<string, ReadonlyArray<InMemoryQueue>>();
  private readonly queues = new Map<string, ReadonlyArray<InMemoryQueue>>();
  private size = 0;

  constructor(
    private readonly resolve: (destination: Destination) => InMemoryQueue[],
    private readonly limit = 4096,
  ) {}

  /** The queues `destination` reaches now (shared and read-only: do not change it). */
  queuesFor(destination: Destination): ReadonlyArray<InMemoryQueue> {
    let table: Map<string, ReadonlyArray<InMemoryQueue>>;
    let key: string;
    if (destination.kind === 'topic') {
      key = destination.subject;
      let subjects = this.topics.get(destination.topic);
      if (subjects === undefined) {
        subjects = new Map();
        this.topics.set(destination.topic, subjects);
      }
      table = subjects;
    } else if (destination.kind === 'command') {
      key = destination.service;
      table = this.commands;
    } else {
      key = destination.queue;
      table = this.queues;
    }
    const known = table.get(key);
    if (known !== undefined) return known;
    if (this.size >= this.limit) {
      this.clear();
      return this.queuesFor(destination);
    }
    const found = this.resolve(destination);
    const queues = found.length === 0 ? NO_QUEUES : found;
    table.set(key, queues);
    this.size++;
    return queues;
  }

  /** Forgets every destination (the topology changed). */
  clear(): void {
    this.topics.clear();
    this.commands.clear();
    this.queues.clear();
    this.size = 0;
  }
}
