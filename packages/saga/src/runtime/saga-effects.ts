import type { Envelope, MessageDefinition } from '@metro/core';
import type { SagaPublishOptions } from '../definition/saga-context.js';

/**
 * Where a transition's messages go, inside its transaction: the outbox and the scheduler on
 * PostgreSQL, recording lists in the test harness.
 */
export interface SagaEffects {
  /** The clock timeouts are computed with (epoch ms). */
  now(): number;
  /** Writes a command or event (already carrying correlation and causation ids) to go out on commit. */
  publish(definition: MessageDefinition, payload: unknown, options: SagaPublishOptions & { correlationId: string; causationId: string }): Promise<Envelope>;
  /** Schedules `definition` with message id `id` at `at`, on commit; tags name the saga. */
  schedule(definition: MessageDefinition, payload: unknown, at: Date, id: string, tags: { saga: string; sagaKey: string }): Promise<void>;
}
