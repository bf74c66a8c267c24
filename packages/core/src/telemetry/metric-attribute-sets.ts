import { SemanticAttributes as A } from './messaging-attributes.js';

/** A frozen metric attribute set, shared by every record with the same values. */
export type MetricAttributeSet = Readonly<Record<string, string>>;

const MAX_SETS = 10_000;
const sets = new Map<string, MetricAttributeSet>();

/**
 * The attribute set of a metric record, built once per distinct combination of values and then
 * reused (the metrics SDK hashes what it is given; Metro no longer builds a fresh object per
 * message). The combinations are low-cardinality (system, destination, subscription, handler,
 * outcome); past {@link MAX_SETS} a fresh object is returned rather than growing the cache.
 *
 * @example
 * ```ts
 * metrics.consumed.add(1, metricAttributeSet('rabbitmq', 'process', 'orders', 'billing', 'ok'));
 * ```
 */
export function metricAttributeSet(
  system: string,
  operation: string,
  destination: string,
  subscription: string | undefined,
  outcome: string,
): MetricAttributeSet {
  const key = `${system}\u0000${operation}\u0000${destination}\u0000${subscription ?? '\u0001'}\u0000${outcome}`;
  let set = sets.get(key);
  if (set === undefined) {
    const attributes: Record<string, string> = { [A.messagingSystem]: system, [A.operationName]: operation, [A.destinationName]: destination };
    if (subscription !== undefined) attributes[A.subscriptionName] = subscription;
    attributes[A.outcome] = outcome;
    set = Object.freeze(attributes);
    if (sets.size < MAX_SETS) sets.set(key, set);
  }
  return set;
}

const handlerSets = new Map<string, MetricAttributeSet>();

/**
 * The attribute set of a `metro.handler.duration` record (handler, service, outcome), cached like
 * {@link metricAttributeSet}.
 *
 * @example
 * ```ts
 * metrics.handlerDuration.record(0.002, handlerAttributeSet('charge-order', 'billing', 'ok'));
 * ```
 */
export function handlerAttributeSet(handler: string, service: string, outcome: string): MetricAttributeSet {
  const key = `${handler}\u0000${service}\u0000${outcome}`;
  let set = handlerSets.get(key);
  if (set === undefined) {
    set = Object.freeze({ [A.handler]: handler, [A.service]: service, [A.outcome]: outcome });
    if (handlerSets.size < MAX_SETS) handlerSets.set(key, set);
  }
  return set;
}
