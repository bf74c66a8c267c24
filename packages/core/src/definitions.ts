import type { StandardSchemaV1 } from '@standard-schema/spec';
import { toMilliseconds, type Duration } from './duration.js';
import { ConfigurationError } from './errors.js';
import type { SchemaInput, SchemaOutput } from './schema.js';
import { checkUnroutablePolicy, DEFAULT_UNROUTABLE_POLICY, type UnroutablePolicy } from './unroutable-policy.js';

/** An event: published to a topic, received by every service that subscribes. */
export interface EventDefinition<S extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: 'event';
  readonly topic: string;
  readonly type: string;
  readonly schema: S;
  /**
   * What a publish does when no queue receives the event (see {@link UnroutablePolicy}):
   * `'accept'` (logged and counted) or `'error'` (`UnroutableError`). `defineEvent` sets it;
   * absent means `'accept'`.
   */
  readonly unroutable?: UnroutablePolicy;
}

/** A command: sent to one service, handled by its one handler. */
export interface CommandDefinition<S extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: 'command';
  readonly service: string;
  readonly type: string;
  readonly schema: S;
  /** The command is not executed if it arrives later than this after it was sent. */
  readonly expiresInMs: number | undefined;
}

export type MessageDefinition<S extends StandardSchemaV1 = StandardSchemaV1> = EventDefinition<S> | CommandDefinition<S>;

/** The payload a publisher passes for a definition. */
export type PayloadInput<D extends MessageDefinition> = SchemaInput<D['schema']>;
/** The payload a handler receives for a definition. */
export type Payload<D extends MessageDefinition> = SchemaOutput<D['schema']>;

const NAME = /^[A-Za-z0-9_-]+(?:[.:/][A-Za-z0-9_-]+)*$/;

function checkName(what: string, value: string): void {
  if (!NAME.test(value)) {
    throw new ConfigurationError(`Invalid ${what} "${value}": use letters, digits, '-', '_' and '.', ':' or '/' as separators.`);
  }
}

/**
 * Declares an event. The schema is any Standard Schema; payload types are inferred from it.
 *
 * `unroutable` says what publishing it does when no queue receives it (nobody subscribes yet):
 * `'accept'` (default: the publish succeeds, the event is logged and counted, as in any pub/sub
 * system) or `'error'` (the publish rejects with `UnroutableError`; an outbox row is retried, then
 * marked `failed`). A publish can override it (`{ unroutable }` option).
 *
 * @example
 * ```ts
 * const OrderPlaced = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ orderId: z.string() }) });
 * await metro.publish(OrderPlaced, { orderId: '1' });
 * // An event that must reach someone:
 * const LedgerPosted = defineEvent({ topic: 'ledger', type: 'posted', schema: LedgerSchema, unroutable: 'error' });
 * ```
 */
export function defineEvent<S extends StandardSchemaV1>(definition: {
  topic: string;
  type: string;
  schema: S;
  unroutable?: UnroutablePolicy | undefined;
}): EventDefinition<S> {
  checkName('topic', definition.topic);
  checkName('event type', definition.type);
  const unroutable = checkUnroutablePolicy(definition.unroutable, `Event "${definition.topic}.${definition.type}"`) ?? DEFAULT_UNROUTABLE_POLICY;
  return Object.freeze({ kind: 'event', topic: definition.topic, type: definition.type, schema: definition.schema, unroutable });
}

/**
 * Declares a command handled by one service. With `expiresIn`, a command that arrives later is
 * recorded as expired instead of executed.
 *
 * @example
 * ```ts
 * const SendSms = defineCommand({ service: 'sms', type: 'send', schema: SmsSchema, expiresIn: '30s' });
 * await metro.send(SendSms, { phone: '+4412345', text: 'hi' });
 * ```
 */
export function defineCommand<S extends StandardSchemaV1>(definition: {
  service: string;
  type: string;
  schema: S;
  expiresIn?: Duration;
}): CommandDefinition<S> {
  checkName('service', definition.service);
  checkName('command type', definition.type);
  return Object.freeze({
    kind: 'command',
    service: definition.service,
    type: definition.type,
    schema: definition.schema,
    expiresInMs: definition.expiresIn === undefined ? undefined : toMilliseconds(definition.expiresIn),
  });
}

/** Helper for type inference in generic code. */
export type AnyDefinition = MessageDefinition<StandardSchemaV1>;
export type { SchemaInput, SchemaOutput };
