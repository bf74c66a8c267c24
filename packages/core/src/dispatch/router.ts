import type { Codec } from '../codec.js';
import { ConfigurationError } from '../errors.js';
import type { HandlerEntry } from './handler-entry.js';
import { compileSubjectPattern, hasWildcard, type SubjectMatcher } from '../subject-pattern.js';
import type { Binding } from '../transport.js';

interface PatternRoute {
  readonly topic: string;
  readonly matches: SubjectMatcher;
  readonly entry: HandlerEntry;
}

const CACHE_LIMIT = 10_000;
const EMPTY: ReadonlyArray<HandlerEntry> = Object.freeze([]);

/**
 * The compiled routing table of one queue: exact (topic, subject) lookups in a map, wildcard and
 * RegExp subjects compiled once, and a result cache keyed by topic and subject, so a message is
 * never matched against every handler by trial. Results are ordered by `priority` (highest
 * first), then registration order.
 *
 * Internal: exported for Metro's own tests and benchmarks, not part of the supported API; it may
 * change in any release.
 *
 * @internal
 * @example
 * ```ts
 * const router = new Router();
 * router.addEvent('orders', 'placed.*', entry);
 * router.match('orders', 'placed.eu'); // [entry]
 * ```
 */
export class Router {
  private readonly exact = new Map<string, Map<string, HandlerEntry[]>>();
  private readonly patterns: PatternRoute[] = [];
  private readonly cache = new Map<string, Map<string, ReadonlyArray<HandlerEntry>>>();
  private cached = 0;
  private readonly commands = new Map<string, HandlerEntry>();
  private readonly byName = new Map<string, HandlerEntry>();
  private readonly codecs = new Map<string, Codec>();
  private readonly bindingKeys = new Set<string>();
  /** Catch-all handlers (`onAny`): every event of the queue; `fallback` ones only when nothing else matched. */
  private readonly catchAll: HandlerEntry[] = [];
  private readonly fallbacks: HandlerEntry[] = [];
  /** Topic bindings the queue needs, one per distinct (topic, pattern). */
  readonly bindings: Binding[] = [];
  private order = 0;

  /** Registers an event handler for `topic` and a subject (literal, `*`/`#` pattern, or RegExp). */
  addEvent(
    topic: string,
    subject: string | RegExp,
    entry: HandlerEntry,
    binding?: { exchangeType?: Binding['exchangeType']; external?: boolean; codec?: Codec },
  ): void {
    this.addName(entry);
    entry.order = this.order++;
    if (typeof subject === 'string' && !hasWildcard(subject)) {
      let bySubject = this.exact.get(topic);
      if (!bySubject) this.exact.set(topic, (bySubject = new Map()));
      const list = bySubject.get(subject);
      if (list) list.push(entry);
      else bySubject.set(subject, [entry]);
    } else {
      this.patterns.push({ topic, matches: compileSubjectPattern(subject), entry });
    }
    this.clearCache();
    this.addBinding(topic, typeof subject === 'string' ? subject : '#', binding);
  }

  /**
   * Binds the queue to `topic` with `pattern` without a handler (the `bindings` option of
   * `createMetro`): what it brings in goes to the catch-all handlers, else to `onUnrouted`.
   */
  addBinding(topic: string, pattern: string, binding?: { exchangeType?: Binding['exchangeType']; external?: boolean; codec?: Codec }): void {
    const key = `${topic}\u0000${pattern}`;
    if (!this.bindingKeys.has(key)) {
      this.bindingKeys.add(key);
      this.bindings.push({ topic, pattern, exchangeType: binding?.exchangeType, external: binding?.external });
    }
    if (binding?.codec) {
      const existing = this.codecs.get(topic);
      if (existing && existing !== binding.codec) {
        throw new ConfigurationError(`Topic "${topic}" already uses codec "${existing.name}" on this queue; use one codec per topic.`);
      }
      this.codecs.set(topic, binding.codec);
    }
  }

  /** Registers a catch-all handler: every event of the queue (`fallback`: only those no other handler matched). */
  addCatchAll(entry: HandlerEntry, fallback: boolean): void {
    this.addName(entry);
    entry.order = this.order++;
    (fallback ? this.fallbacks : this.catchAll).push(entry);
    this.clearCache();
  }

  private clearCache(): void {
    this.cache.clear();
    this.cached = 0;
  }

  /** Registers the one handler of a command type. A second one is a ConfigurationError. */
  addCommand(type: string, entry: HandlerEntry): void {
    if (this.commands.has(type)) {
      throw new ConfigurationError(`Command "${type}" already has a handler; a command has exactly one handler per service.`);
    }
    this.addName(entry);
    entry.order = this.order++;
    this.commands.set(type, entry);
  }

  private addName(entry: HandlerEntry): void {
    if (this.byName.has(entry.name)) {
      throw new ConfigurationError(`A handler named "${entry.name}" is already registered on this queue; give each handler a unique \`name\`.`);
    }
    this.byName.set(entry.name, entry);
  }

  /** The handlers of an event, priority order. Cached per (topic, subject). */
  match(topic: string, subject: string): ReadonlyArray<HandlerEntry> {
    let bySubject = this.cache.get(topic);
    const cached = bySubject?.get(subject);
    if (cached !== undefined) return cached;
    const found: HandlerEntry[] = [];
    const exact = this.exact.get(topic)?.get(subject);
    if (exact) found.push(...exact);
    for (const route of this.patterns) if (route.topic === topic && route.matches(subject)) found.push(route.entry);
    found.push(...(found.length === 0 ? this.fallbacks : []), ...this.catchAll);
    found.sort((a, b) => b.priority - a.priority || a.order - b.order);
    const result = found.length === 0 ? EMPTY : Object.freeze(found);
    if (this.cached >= CACHE_LIMIT) {
      this.cache.clear();
      this.cached = 0;
      bySubject = undefined;
    }
    if (bySubject === undefined) this.cache.set(topic, (bySubject = new Map()));
    bySubject.set(subject, result);
    this.cached++;
    return result;
  }

  /** The handler of a command type, if any. */
  command(type: string): HandlerEntry | undefined {
    return this.commands.get(type);
  }

  /** A handler by name (for per-handler retries and replays). */
  handler(name: string): HandlerEntry | undefined {
    return this.byName.get(name);
  }

  /** The codec registered for a topic on this queue, if any. */
  codecFor(topic: string | undefined): Codec | undefined {
    return topic === undefined || this.codecs.size === 0 ? undefined : this.codecs.get(topic);
  }

  /** Every registered handler. */
  handlers(): IterableIterator<HandlerEntry> {
    return this.byName.values();
  }

  /** True when any command handler is registered. */
  get hasCommands(): boolean {
    return this.commands.size > 0;
  }
}
