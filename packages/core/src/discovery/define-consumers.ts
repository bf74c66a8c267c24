import type { Metro } from '../bus/metro-types.js';
import { ConfigurationError } from '../errors.js';

const CONSUMERS: unique symbol = Symbol.for('metro.consumers');

/** What a consumers module registers on: the registration half of the bus. */
export type ConsumerRegistry<Trx = unknown> = Pick<
  Metro<Trx>,
  'service' | 'queue' | 'on' | 'onAny' | 'onBatch' | 'onUnrouted' | 'handle' | 'handleBatch' | 'subscription'
>;

/** A module's handlers, made by {@link defineConsumers}; registered by `registerConsumers` or `discoverConsumers`. */
export interface Consumers<Trx = unknown> {
  readonly [CONSUMERS]: true;
  /** Registers the handlers on a bus (before `start()`). */
  readonly register: (metro: ConsumerRegistry<Trx>) => void;
}

/**
 * Declares a module's handlers, to be exported and registered on a bus by `registerConsumers`
 * (an explicit, typed list) or `discoverConsumers` (every module a pattern finds), the way
 * messagio's `autodiscover_listeners` and django-microservices-communication's `consumers.py`
 * convention find them.
 *
 * @example
 * ```ts
 * // billing/consumers.ts
 * export const consumers = defineConsumers((metro) => {
 *   metro.on(OrderPlaced, async (order, ctx) => { await ctx.send(ChargeCard, { orderId: order.orderId }); });
 *   metro.handle(ChargeCard, (cmd) => charge(cmd.orderId));
 * });
 * ```
 */
export function defineConsumers<Trx = unknown>(register: (metro: ConsumerRegistry<Trx>) => void): Consumers<Trx> {
  if (typeof register !== 'function')
    throw new ConfigurationError('defineConsumers() takes a function that registers handlers: defineConsumers((metro) => { ... }).');
  return Object.freeze({ [CONSUMERS]: true as const, register });
}

/**
 * True when `value` was made by {@link defineConsumers} (how discovery tells a consumers export
 * from anything else a module exports).
 *
 * @example
 * ```ts
 * const module = await import('./billing/consumers.js');
 * if (isConsumers(module.consumers)) registerConsumers(metro, [module.consumers]);
 * ```
 */
export function isConsumers(value: unknown): value is Consumers<never> {
  return value !== null && typeof value === 'object' && (value as { [CONSUMERS]?: unknown })[CONSUMERS] === true;
}

/**
 * Registers modules' handlers on a bus, in the order given: the explicit form of discovery (a
 * name that is not imported does not compile).
 *
 * @example
 * ```ts
 * import { consumers as billing } from './billing/consumers.js';
 * import { consumers as shipping } from './shipping/consumers.js';
 * registerConsumers(metro, [billing, shipping]);
 * await metro.start();
 * ```
 */
export function registerConsumers<Trx>(metro: ConsumerRegistry<Trx>, modules: ReadonlyArray<Consumers<Trx>>): void {
  for (const [index, module] of modules.entries()) {
    if (!isConsumers(module)) throw new ConfigurationError(`registerConsumers: item ${index} was not made by defineConsumers().`);
    module.register(metro);
  }
}
