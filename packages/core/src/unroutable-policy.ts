import { ConfigurationError } from './errors.js';
import type { Logger } from './logger.js';
import type { OutgoingMessage } from './transport.js';

/**
 * What publishing an event does when no queue receives it (nobody subscribes to its topic and
 * subject yet):
 * - `'accept'` (the default): the publish succeeds, as pub/sub users expect (the consumer may
 *   start after the publisher); the broker drops the event, which is logged and counted (see
 *   {@link UnroutableEvents}), never dropped unseen.
 * - `'error'`: the publish rejects with `UnroutableError` (an outbox row is retried, then `failed`).
 *
 * Only events have a policy: a command nobody can receive, and a message sent straight to a queue
 * that does not exist, are always `UnroutableError`. The transport always reports unroutable
 * publishes; the policy is applied above it (the bus, the outboxes' relays).
 *
 * @example
 * ```ts
 * const AuditWritten = defineEvent({ topic: 'audit', type: 'written', schema, unroutable: 'error' });
 * await metro.publish(OrderPlaced, payload, { unroutable: 'error' }); // this publish only
 * ```
 */
export type UnroutablePolicy = 'error' | 'accept';

/** What the policy reads of a message definition (every `MessageDefinition` is one). */
export type PolicySubject =
  | { readonly kind: 'event'; readonly type: string; readonly unroutable?: UnroutablePolicy | undefined }
  | { readonly kind: 'command'; readonly service: string; readonly type: string };

/** The policy of an event that names none. */
export const DEFAULT_UNROUTABLE_POLICY: UnroutablePolicy = 'accept';

/** Checks a policy given at runtime (a typo from JavaScript would otherwise mean `accept`). */
export function checkUnroutablePolicy(value: unknown, where: string): UnroutablePolicy | undefined {
  if (value === undefined || value === 'error' || value === 'accept') return value;
  throw new ConfigurationError(`${where}: unroutable must be 'error' or 'accept', got ${JSON.stringify(value)}.`);
}

/**
 * The policy of one publish: the option given, else the event definition's, else `accept`. A
 * command's is always `error`; `'accept'` for a command is a `ConfigurationError`.
 *
 * @example
 * ```ts
 * unroutablePolicyOf(OrderPlaced, undefined); // 'accept'
 * unroutablePolicyOf(OrderPlaced, 'error'); // 'error'
 * ```
 */
export function unroutablePolicyOf(definition: PolicySubject, option: UnroutablePolicy | undefined): UnroutablePolicy {
  // Checked inline (no `where` string built per publish); a bad value goes through the check for its message.
  const given =
    option === undefined || option === 'error' || option === 'accept'
      ? option
      : checkUnroutablePolicy(option, `Publish of ${definition.kind} "${definition.type}"`);
  if (definition.kind === 'command') {
    if (given === 'accept') {
      throw new ConfigurationError(
        `Command "${definition.service}:${definition.type}" cannot be sent with unroutable: 'accept': a command nobody can receive is always an error.`,
      );
    }
    return 'error';
  }
  return given ?? definition.unroutable ?? DEFAULT_UNROUTABLE_POLICY;
}

/** What {@link UnroutableEvents} counted. */
export interface UnroutableEventStats {
  /** Events published to no queue and accepted (the `accept` policy). */
  readonly accepted: number;
  /** The same per `topic.subject` (the first 1,000 distinct destinations; later ones count in `accepted` only). */
  readonly byDestination: Readonly<Record<string, number>>;
}

/** Distinct destinations counted (and warned about) one by one. */
const MAX_DESTINATIONS = 1000;

/**
 * Counts and logs the events a publisher accepted although no queue received them. The first one
 * of each topic and subject is a warning; later ones are logged at debug level (a publisher of an
 * event nobody subscribes to would otherwise flood the log), and all are counted.
 *
 * @example
 * ```ts
 * const unroutable = new UnroutableEvents(logger);
 * unroutable.record(message); // a publish to 'orders' / 'placed' that no queue received
 * unroutable.stats(); // { accepted: 1, byDestination: { 'orders.placed': 1 } }
 * ```
 */
export class UnroutableEvents {
  private accepted = 0;
  private readonly counts = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  /** Counts and logs one accepted unroutable event. */
  record(message: Pick<OutgoingMessage, 'destination' | 'messageId'>): void {
    this.accepted++;
    const d = message.destination;
    const key = d.kind === 'topic' ? `${d.topic}.${d.subject}` : d.kind === 'command' ? d.service : d.queue;
    const seen = this.counts.get(key);
    const facts = { messageId: message.messageId, destination: key, accepted: this.accepted };
    if (seen !== undefined) {
      this.counts.set(key, seen + 1);
      this.logger.debug(facts, 'event published to no queue; accepted');
    } else if (this.counts.size < MAX_DESTINATIONS) {
      this.counts.set(key, 1);
      this.logger.warn(
        facts,
        "event published to no queue (nobody subscribes to its destination yet): accepted, and the broker dropped it. Later ones to this destination are logged at debug level; define the event with unroutable: 'error' if it must reach someone",
      );
    } else {
      this.logger.debug(facts, 'event published to no queue; accepted');
    }
  }

  stats(): UnroutableEventStats {
    return { accepted: this.accepted, byDestination: Object.fromEntries(this.counts) };
  }
}

/** Whether `error` says the broker had no queue for the message (by code, so two copies of core agree). */
export function isUnroutable(error: unknown): boolean {
  return (error as { code?: unknown } | null | undefined)?.code === 'UNROUTABLE';
}

/**
 * Whether a publish that failed with `error` is an event no queue received that `policy`
 * accepts: the publisher then counts it (see {@link UnroutableEvents}) and resolves. Commands and
 * queue destinations never are: unroutable, they are always errors.
 *
 * @example
 * ```ts
 * try {
 *   await transport.publish(message);
 * } catch (err) {
 *   if (!acceptsUnroutable(policy, message, err)) throw err;
 *   unroutable.record(message);
 * }
 * ```
 */
export function acceptsUnroutable(policy: UnroutablePolicy, message: Pick<OutgoingMessage, 'destination'>, error: unknown): boolean {
  return policy === 'accept' && message.destination.kind === 'topic' && isUnroutable(error);
}
