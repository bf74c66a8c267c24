import { AsyncResource } from 'node:async_hooks';
import type { Logger } from '../logger.js';
import { activeTraceparent } from '../telemetry/metro-span.js';
import { traceBatch } from '../telemetry/batch-telemetry.js';
import { BatchRunContext } from './batch-context.js';
import type { BatchRun } from './batch-run.js';
import type { BatchItem } from './batch-types.js';
import type { MessageContext } from './handler-context.js';
import { StopAbort } from './handler-invoker.js';

/** A message waiting in a batch, and how to end its handler call. */
interface Waiting {
  readonly item: BatchItem<unknown>;
  /** The message's handler span (the batch span links to it), when tracing is on. */
  readonly traceparent: string | undefined;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** What a collector needs (internal). */
export interface BatchCollectorOptions {
  readonly service: string;
  readonly name: string;
  readonly queue: string;
  readonly maxSize: number;
  readonly maxWaitMs: number;
  readonly logger: Logger;
  readonly run: BatchRun;
}

/**
 * Gathers the messages of one batch handler into batches (internal). Each message's handler call
 * (`add`) waits in the current batch; the batch runs when it holds `maxSize` messages or its
 * first message has waited `maxWait`, and each call then resolves (the message succeeded) or
 * rejects with the message's own error (the dispatcher's retry policy takes it from there).
 * Several batches may run at once. A batch runs outside any message's correlation context; with
 * tracing on, in a `batch <name>` span linked to its messages' handler spans.
 *
 * @example
 * ```ts
 * const collector = new BatchCollector({ service, name, queue, maxSize: 100, maxWaitMs: 50, logger, run });
 * entry.fn = (payload, ctx) => collector.add(payload, ctx as MessageContext);
 * collector.stop(); // on shutdown: runs the partial batch now
 * ```
 */
export class BatchCollector {
  private pending: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  private closed = false;
  private readonly running = new Set<BatchRunContext>();
  /** Runs the pending batch in the context the collector was created in (registration), not a message's. */
  private readonly flushDetached = AsyncResource.bind(() => this.flush());

  constructor(private readonly options: BatchCollectorOptions) {}

  /** Adds one message to the current batch; settles when its batch has run. */
  add(data: unknown, context: MessageContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const item: BatchItem<unknown> = {
        data,
        envelope: context.envelope,
        messageId: context.messageId,
        attempt: context.attempt,
        correlationId: context.correlationId,
        context,
      };
      this.pending.push({ item, traceparent: activeTraceparent(), resolve, reject });
      if (this.pending.length >= this.options.maxSize || this.closed) this.flushDetached();
      else this.timer ??= setTimeout(this.flushDetached, this.options.maxWaitMs);
    });
  }

  /** Runs the pending messages now, as a batch however small (sync mode, stop). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.pending;
    if (waiting.length === 0) return;
    this.pending = [];
    void this.runBatch(waiting);
  }

  /** The bus is stopping: runs the partial batch now, and every later message at once. */
  stop(): void {
    this.closed = true;
    this.flush();
  }

  /** The stop timeout passed: aborts the signal of every running batch (the dispatcher requeues their messages). */
  abortAll(): void {
    for (const ctx of this.running) ctx.abort(new StopAbort());
  }

  private async runBatch(waiting: ReadonlyArray<Waiting>): Promise<void> {
    const { service, name, queue, logger, run } = this.options;
    const items = waiting.map((w) => w.item);
    const ctx = new BatchRunContext(service, name, queue, items, logger);
    this.running.add(ctx);
    try {
      const failed = await traceBatch(
        name,
        service,
        waiting.map((w) => w.traceparent),
        () => run(items, ctx),
      );
      for (const w of waiting) {
        if (failed.has(w.item)) w.reject(failed.get(w.item));
        else w.resolve();
      }
    } catch (err) {
      for (const w of waiting) w.reject(err);
    } finally {
      this.running.delete(ctx);
    }
  }
}
