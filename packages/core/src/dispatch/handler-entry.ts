import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { MessageDefinition } from '../definitions.js';
import type { HandlerContext } from './handler-context.js';
import type { RetryPolicy } from '../retry-policy.js';
import type { HandlerRateGate } from '../rate-limit/handler-rate-gate.js';

/** A registered handler as the dispatcher sees it. @internal */
export interface HandlerEntry {
  readonly name: string;
  readonly priority: number;
  /** Registration order on its queue (set by the router). */
  order: number;
  /** The definition it was registered with; pattern handlers have none and get the raw data. */
  readonly definition: MessageDefinition | undefined;
  readonly schema: StandardSchemaV1 | undefined;
  readonly fn: (payload: unknown, ctx: HandlerContext<unknown>) => unknown;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  /** Run inside `inbox.run` (effectively once). */
  readonly inbox: boolean;
  /** Its `rateLimit`, if it has one: the runner admits each message through it. */
  readonly rateGate?: HandlerRateGate | undefined;
  /** Set on `onBatch` and `handleBatch` handlers: `fn` waits for the message's batch; `flush()` runs the pending batch now. */
  readonly batch?: { flush(): void };
}
