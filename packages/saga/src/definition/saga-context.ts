import type { CommandDefinition, Duration, Envelope, EventDefinition, Logger, MessageDefinition, Payload, PayloadInput } from '@metro/core';
import type { PgOutboxPublishOptions } from '@metro/outbox-pg';

/** When a timeout is due: exactly one of `at` and `delay`. */
export interface SagaTimeoutOptions {
  /** Due at this time (a time in the past fires at once). */
  readonly at?: Date;
  /** Due this long from now. */
  readonly delay?: Duration;
}

/** Options of `ctx.send` / `ctx.publish` in a saga: the outbox's (correlation and causation are carried on for you). */
export type SagaPublishOptions = Omit<PgOutboxPublishOptions, 'correlationId' | 'causationId'>;

const COMPLETION = Symbol.for('metro.saga.completion');

/** What `ctx.complete()` returns: return it from a handler to complete the saga. */
export interface SagaCompletion {
  readonly [COMPLETION]: true;
}

/** The one completion value. */
export const SAGA_COMPLETION: SagaCompletion = Object.freeze({ [COMPLETION]: true as const });

/** True when a handler returned `ctx.complete()`. */
export function isCompletion(value: unknown): value is SagaCompletion {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[COMPLETION] === true;
}

/**
 * What a saga handler gets next to the message and the state. Everything it sends, publishes or
 * schedules is written in the transition's transaction: it leaves only if the new state commits.
 *
 * @example
 * ```ts
 * saga.on(PaymentAccepted, { key: (p) => p.orderId }, async (paid, state, ctx) => {
 *   await ctx.send(SendSms, { phone: state.phone, text: `order ${state.orderId} paid` });
 *   ctx.cancelTimeout(PaymentDue);
 *   return ctx.complete();
 * });
 * ```
 */
export interface SagaContext {
  /** The saga's name (`defineSaga({ name })`). */
  readonly saga: string;
  /** This saga's correlation key, as the message's key reader returned it. */
  readonly key: string;
  /** The saga's version before this transition: 0 when this message creates it. */
  readonly version: number;
  /** The message being handled. */
  readonly envelope: Envelope;
  readonly messageId: string;
  readonly correlationId: string;
  readonly logger: Logger;
  /**
   * The transaction the transition commits in: a kysely `Transaction` on PostgreSQL (write your own
   * rows with it, they commit with the state), `undefined` in the test harness.
   */
  readonly trx: unknown;
  /** Sends a command through the outbox, in the transition's transaction (correlation carried on, causation = this message). */
  send<D extends CommandDefinition>(definition: D, payload: PayloadInput<D>, options?: SagaPublishOptions): Promise<Envelope<Payload<D>>>;
  /** Publishes an event through the outbox, in the transition's transaction. */
  publish<D extends EventDefinition>(definition: D, payload: PayloadInput<D>, options?: SagaPublishOptions): Promise<Envelope<Payload<D>>>;
  /**
   * Asks for `definition` to arrive with `payload` when due (through the scheduler, in this
   * transaction). One timeout per message definition: asking again replaces the pending one. The
   * saga must handle it with `onTimeout`; a replaced or cancelled one never reaches the handler,
   * and none does once the saga completed.
   */
  requestTimeout<D extends MessageDefinition>(definition: D, payload: PayloadInput<D>, when: SagaTimeoutOptions): Promise<void>;
  /** Cancels the pending timeout of `definition`; false when there was none. */
  cancelTimeout(definition: MessageDefinition): boolean;
  /** Return its result from the handler to complete the saga: its pending timeouts are cancelled and it is deleted, or kept for the saga's retention. */
  complete(): SagaCompletion;
}
