import { compileTopicPattern, type TopicMatcher } from './in-memory-topic-pattern.js';

/** How a topic (exchange) routes a subject to its bound queues, as AMQP exchange types do. */
export type InMemoryTopicType = 'topic' | 'fanout' | 'direct';

interface TopicBinding {
  readonly queue: string;
  readonly pattern: string;
  readonly matches: TopicMatcher;
}

/**
 * One topic (exchange) of the in-memory broker: its type and its bindings. A `topic` exchange
 * matches subjects against AMQP patterns (`*`, `#`), `direct` compares them literally, `fanout`
 * ignores them. Patterns are compiled once, when bound.
 */
export class InMemoryTopic {
  private readonly bindings: TopicBinding[] = [];

  constructor(
    readonly name: string,
    readonly type: InMemoryTopicType,
  ) {}

  /** Binds `queue` with `pattern`; binding the same pair twice is a no-op (as in AMQP). */
  bind(queue: string, pattern: string): void {
    if (this.bindings.some((b) => b.queue === queue && b.pattern === pattern)) return;
    const matches: TopicMatcher = this.type === 'fanout' ? () => true : this.type === 'direct' ? (s) => s === pattern : compileTopicPattern(pattern);
    this.bindings.push({ queue, pattern, matches });
  }

  /** Removes every binding of `queue` (the queue was deleted). */
  unbindQueue(queue: string): void {
    for (let i = this.bindings.length - 1; i >= 0; i--) if (this.bindings[i]!.queue === queue) this.bindings.splice(i, 1);
  }

  /** The names of the queues a message with this subject reaches: each at most once. */
  route(subject: string): Set<string> {
    const out = new Set<string>();
    for (const b of this.bindings) if (!out.has(b.queue) && b.matches(subject)) out.add(b.queue);
    return out;
  }
}
