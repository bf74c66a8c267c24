import { describeDefinition, toMilliseconds, uuidv7, type Envelope, type Logger, type MessageDefinition } from '@metro/core';
import { InvalidScheduleError } from '@metro/scheduler';
import { SAGA_COMPLETION, type SagaContext, type SagaPublishOptions, type SagaTimeoutOptions } from '../definition/saga-context.js';
import type { PendingTimeout } from '../stores/saga-record.js';
import type { SagaEffects } from './saga-effects.js';

/** What a transition's context needs. */
export interface TransitionContextInput {
  readonly saga: string;
  readonly key: string;
  readonly version: number;
  readonly envelope: Envelope;
  readonly logger: Logger;
  readonly trx: unknown;
  readonly effects: SagaEffects;
  /** The saga's pending timeouts, as the context changes them. */
  readonly timeouts: Record<string, PendingTimeout>;
  /** Ids of scheduled timeouts to cancel once the transition committed. */
  readonly cancelled: string[];
}

/** Builds the {@link SagaContext} of one transition: sends and timeouts go to the transition's effects. */
export function createTransitionContext(input: TransitionContextInput): SagaContext {
  const { envelope, effects, timeouts, cancelled } = input;
  const correlationId = envelope.correlationid ?? envelope.id;
  const carry = (options: SagaPublishOptions | undefined) => ({ ...options, correlationId, causationId: envelope.id });
  const drop = (name: string): boolean => {
    const pending = timeouts[name];
    if (!pending) return false;
    cancelled.push(pending.id);
    delete timeouts[name];
    return true;
  };
  return {
    saga: input.saga,
    key: input.key,
    version: input.version,
    envelope,
    messageId: envelope.id,
    correlationId,
    logger: input.logger,
    trx: input.trx,
    send: (definition, payload, options) => effects.publish(definition, payload, carry(options)) as never,
    publish: (definition, payload, options) => effects.publish(definition, payload, carry(options)) as never,
    async requestTimeout(definition: MessageDefinition, payload: unknown, when: SagaTimeoutOptions) {
      const name = describeDefinition(definition);
      const at = dueDate(when, effects.now());
      const id = uuidv7();
      await effects.schedule(definition, payload, at, id, { saga: input.saga, sagaKey: input.key });
      drop(name);
      timeouts[name] = { id, dueAt: at.toISOString() };
    },
    cancelTimeout: (definition) => drop(describeDefinition(definition)),
    complete: () => SAGA_COMPLETION,
  };
}

function dueDate(when: SagaTimeoutOptions, now: number): Date {
  const hasAt = when?.at !== undefined;
  if (hasAt === (when?.delay !== undefined)) throw new InvalidScheduleError('requestTimeout needs exactly one of `at` (a Date) and `delay` (a Duration)');
  if (hasAt) {
    if (!(when.at instanceof Date) || Number.isNaN(when.at.getTime())) throw new InvalidScheduleError('`at` must be a valid Date');
    return when.at;
  }
  return new Date(now + toMilliseconds(when.delay!));
}
