import { ConfigurationError } from '../errors.js';
import { childLogger, type Logger } from '../logger.js';
import { activeTraceIds } from '../telemetry/metro-span.js';
import type { BatchContext, BatchItem } from './batch-types.js';

/**
 * The context of one call of a batch handler (internal): the items it failed, its abort signal,
 * its inbox transaction.
 *
 * @example
 * ```ts
 * const ctx = new BatchRunContext('billing', 'orders.placed#0', 'billing', items, logger);
 * await handler(items, ctx);
 * ctx.failed; // Map of the items the handler failed, to their errors
 * ```
 */
export class BatchRunContext implements BatchContext<unknown> {
  trx: unknown = undefined;
  /** The items failed with `fail()` or a `BatchItemsError`, and their errors. */
  readonly failed = new Map<BatchItem<unknown>, unknown>();
  private readonly controller = new AbortController();
  private readonly members: ReadonlySet<BatchItem<unknown>>;
  private childLog: Logger | undefined = undefined;

  constructor(
    private readonly service: string,
    readonly handler: string,
    readonly queue: string,
    items: ReadonlyArray<BatchItem<unknown>>,
    private readonly baseLogger: Logger,
  ) {
    this.members = new Set(items);
  }

  get logger(): Logger {
    if (this.childLog === undefined) {
      const bindings: Record<string, unknown> = { service: this.service, handler: this.handler, batchSize: this.members.size };
      // Read inside the batch span: the batch handler's logs carry its trace.
      const trace = activeTraceIds();
      if (trace !== undefined) {
        bindings.trace_id = trace.traceId;
        bindings.span_id = trace.spanId;
      }
      this.childLog = childLogger(this.baseLogger, bindings);
    }
    return this.childLog;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the signal (timeout or stop). */
  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  fail(item: BatchItem<unknown>, error: unknown): void {
    if (!this.members.has(item)) {
      throw new ConfigurationError(`Batch handler "${this.handler}" failed an item that is not in its batch; pass the items the handler received.`);
    }
    this.failed.set(item, error);
  }
}
