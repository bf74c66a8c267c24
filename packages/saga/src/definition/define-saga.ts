import { describeDefinition, type MessageDefinition, type Payload, type SchemaInput, type SchemaOutput, type StandardSchemaV1 } from '@metro/core';
import { toMilliseconds, type Duration } from '@metro/core';
import { InvalidSagaDefinitionError } from '../errors.js';
import type { SagaCompletion, SagaContext } from './saga-context.js';

/** What happens to a message for a saga that does not exist (or has completed): dropped (`ignore`) or a failed message (`failure`, after retries). */
export type NotFoundPolicy = 'ignore' | 'failure';

/** What a handler may return: the next state (checked against the state schema), or `ctx.complete()`. */
export type SagaResult<S extends StandardSchemaV1> = SchemaInput<S> | SagaCompletion;

/** A handler of a message that starts the saga: `state` is `undefined` when this message creates it. */
export type SagaStartHandler<S extends StandardSchemaV1, P> = (
  message: P,
  state: SchemaOutput<S> | undefined,
  ctx: SagaContext,
) => SagaResult<S> | Promise<SagaResult<S>>;

/** A handler of a message for an existing saga. */
export type SagaHandler<S extends StandardSchemaV1, P> = (message: P, state: SchemaOutput<S>, ctx: SagaContext) => SagaResult<S> | Promise<SagaResult<S>>;

/** How a message finds its saga: its correlation key read from the payload. */
export interface SagaMessageOptions<P> {
  /** Reads the saga's key from the payload: a non-empty string of at most 200 characters. */
  readonly key: (message: P) => string;
}

/** Options of a message handled by an existing saga. */
export interface SagaHandledMessageOptions<P> extends SagaMessageOptions<P> {
  /** When no active saga has the key. Default `'failure'` (retried, then a failed message): nothing disappears silently. */
  readonly notFound?: NotFoundPolicy;
}

/** How a route treats a missing saga and a message id. */
export type SagaRouteKind = 'start' | 'handle' | 'timeout';

/** One message a saga reacts to (internal shape, shared by the runtime and the harness). */
export interface SagaRoute {
  readonly definition: MessageDefinition;
  /** `topic.type` or `service:type`. */
  readonly name: string;
  readonly kind: SagaRouteKind;
  readonly key: (message: unknown) => unknown;
  readonly notFound: NotFoundPolicy;
  readonly handler: (message: unknown, state: unknown, ctx: SagaContext) => unknown;
}

/** Options of {@link defineSaga}. */
export interface SagaOptions<S extends StandardSchemaV1> {
  /** Unique among the service's sagas: letters, digits, `-`, `_`, `.`; at most 100 characters. */
  readonly name: string;
  /** The state's schema (any Standard Schema: zod, valibot, arktype). States must survive JSON. */
  readonly state: S;
  /**
   * The state machine state of an instance, for listing and the admin (`InstanceState` in
   * MassTransit terms), e.g. `(s) => s.status`. Stored in its own column.
   */
  readonly currentState?: (state: SchemaOutput<S>) => string;
  /** What completion does: `'delete'` (default) or keep the row, completed, for this long. */
  readonly completed?: 'delete' | { readonly keep: Duration };
}

/**
 * A saga: its name, state schema and the messages it reacts to. Immutable: `startedBy`, `on` and
 * `onTimeout` return a new definition.
 */
export interface SagaDefinition<S extends StandardSchemaV1 = StandardSchemaV1> {
  readonly name: string;
  readonly state: S;
  readonly currentState: ((state: unknown) => string) | undefined;
  /** How long a completed saga is kept; `null`: deleted on completion. */
  readonly retentionMs: number | null;
  readonly routes: ReadonlyArray<SagaRoute>;
  /** A message that creates the saga when no active one has its key (and moves it when one has). */
  startedBy<D extends MessageDefinition>(definition: D, options: SagaMessageOptions<Payload<D>>, handler: SagaStartHandler<S, Payload<D>>): SagaDefinition<S>;
  /** A message for an existing saga. */
  on<D extends MessageDefinition>(definition: D, options: SagaHandledMessageOptions<Payload<D>>, handler: SagaHandler<S, Payload<D>>): SagaDefinition<S>;
  /**
   * A timeout the saga asked for with `ctx.requestTimeout(definition, ...)`. Only the pending one
   * reaches the handler: a replaced or cancelled timeout, or one for a completed saga, is dropped.
   */
  onTimeout<D extends MessageDefinition>(definition: D, options: SagaMessageOptions<Payload<D>>, handler: SagaHandler<S, Payload<D>>): SagaDefinition<S>;
}

const SAGA_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * Defines a saga: a long-running process whose state lives in PostgreSQL and moves one message at
 * a time, each move committed with its inbox record, the messages it sends and its timeouts.
 *
 * @example
 * ```ts
 * const OrderState = z.object({ orderId: z.string(), status: z.enum(['awaiting-payment', 'paid']) });
 * const orderSaga = defineSaga({ name: 'order', state: OrderState, currentState: (s) => s.status })
 *   .startedBy(OrderPlaced, { key: (m) => m.orderId }, async (m, _state, ctx) => {
 *     await ctx.send(RequestPayment, { orderId: m.orderId });
 *     await ctx.requestTimeout(PaymentDue, { orderId: m.orderId }, { delay: '30m' });
 *     return { orderId: m.orderId, status: 'awaiting-payment' };
 *   })
 *   .on(PaymentAccepted, { key: (m) => m.orderId, notFound: 'ignore' }, (_m, _state, ctx) => ctx.complete())
 *   .onTimeout(PaymentDue, { key: (m) => m.orderId }, (_m, _state, ctx) => ctx.complete());
 * ```
 */
export function defineSaga<S extends StandardSchemaV1>(options: SagaOptions<S>): SagaDefinition<S> {
  const name = options?.name;
  if (typeof name !== 'string' || name.length > 100 || !SAGA_NAME.test(name)) {
    throw new InvalidSagaDefinitionError(String(name), "the name must be letters, digits, '-', '_' and '.' separators, at most 100 characters");
  }
  if (typeof (options.state as Partial<StandardSchemaV1> | undefined)?.['~standard']?.validate !== 'function') {
    throw new InvalidSagaDefinitionError(name, '`state` must be a Standard Schema (a zod, valibot or arktype schema)');
  }
  const completed = options.completed ?? 'delete';
  const retentionMs = completed === 'delete' ? null : toMilliseconds(completed.keep);
  const currentState = options.currentState as ((state: unknown) => string) | undefined;
  return build(name, options.state, currentState, retentionMs, []);
}

function build<S extends StandardSchemaV1>(
  name: string,
  state: S,
  currentState: ((state: unknown) => string) | undefined,
  retentionMs: number | null,
  routes: ReadonlyArray<SagaRoute>,
): SagaDefinition<S> {
  const add = (definition: MessageDefinition, kind: SagaRouteKind, options: { key?: unknown; notFound?: unknown }, handler: unknown): SagaDefinition<S> => {
    const route = checkRoute(name, routes, definition, kind, options, handler);
    return build(name, state, currentState, retentionMs, [...routes, route]);
  };
  return Object.freeze({
    name,
    state,
    currentState,
    retentionMs,
    routes,
    startedBy: (definition, options, handler) => add(definition, 'start', options, handler),
    on: (definition, options, handler) => add(definition, 'handle', options, handler),
    onTimeout: (definition, options, handler) => add(definition, 'timeout', options, handler),
  } satisfies SagaDefinition<S>);
}

function checkRoute(
  saga: string,
  routes: ReadonlyArray<SagaRoute>,
  definition: MessageDefinition,
  kind: SagaRouteKind,
  options: { key?: unknown; notFound?: unknown },
  handler: unknown,
): SagaRoute {
  if (definition === null || typeof definition !== 'object' || (definition.kind !== 'event' && definition.kind !== 'command')) {
    throw new InvalidSagaDefinitionError(saga, 'a message must be a definition from defineEvent or defineCommand');
  }
  const message = describeDefinition(definition);
  if (routes.some((r) => r.name === message)) throw new InvalidSagaDefinitionError(saga, `message ${message} is handled twice: one handler per message`);
  if (typeof options?.key !== 'function')
    throw new InvalidSagaDefinitionError(saga, `message ${message} needs \`key\`, a function reading the saga key from the payload`);
  if (typeof handler !== 'function') throw new InvalidSagaDefinitionError(saga, `the handler of message ${message} is not a function`);
  const notFound = options.notFound ?? 'failure';
  if (notFound !== 'ignore' && notFound !== 'failure') throw new InvalidSagaDefinitionError(saga, `notFound of ${message} must be 'ignore' or 'failure'`);
  return Object.freeze({
    definition,
    name: message,
    kind,
    key: options.key as (message: unknown) => unknown,
    notFound: kind === 'timeout' ? 'ignore' : notFound,
    handler: handler as SagaRoute['handler'],
  });
}
