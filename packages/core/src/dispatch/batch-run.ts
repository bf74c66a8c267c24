import { BatchItemsError, HandlerTimeoutError } from '../errors.js';
import type { Inbox } from '../stores/inbox.js';
import { isThenable } from '../thenable.js';
import { SemanticAttributes } from '../telemetry/messaging-attributes.js';
import { metroMetrics } from '../telemetry/metro-metrics.js';
import type { BatchRunContext } from './batch-context.js';
import type { BatchHandler, BatchItem } from './batch-types.js';

/** What running a batch handler needs (internal). */
export interface BatchRunDeps {
  readonly service: string;
  readonly name: string;
  readonly fn: BatchHandler<unknown, unknown>;
  readonly timeoutMs: number;
  /** Set when the handler has `inbox: true` (the bus checked that it has `runBatch`). */
  readonly inbox: Inbox | undefined;
}

/**
 * Runs one batch: resolves with the items the handler failed (and their errors), rejects when
 * the whole batch failed. Items the inbox saw already are left out of the handler's batch and
 * count as done.
 */
export type BatchRun = (items: ReadonlyArray<BatchItem<unknown>>, ctx: BatchRunContext) => Promise<ReadonlyMap<BatchItem<unknown>, unknown>>;

/** Waits for the handler's promise, failing the batch with a timeout error (and aborting its signal) after `timeoutMs`. */
function withTimeout(result: PromiseLike<unknown>, deps: BatchRunDeps, ctx: BatchRunContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new HandlerTimeoutError(deps.name, deps.timeoutMs);
      ctx.abort(error);
      reject(error);
    }, deps.timeoutMs);
    ctx.signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(ctx.signal.reason);
      },
      { once: true },
    );
    result.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Builds the function that runs one batch of a batch handler (internal): calls the handler with
 * its timeout, turns a `BatchItemsError` into per-item failures (the rest of the batch
 * succeeded), and with the inbox runs it in one transaction for the ids not processed yet.
 *
 * @example
 * ```ts
 * const run = createBatchRun({ service: 'billing', name: 'orders.placed#0', fn, timeoutMs: 30_000, inbox: undefined });
 * const failed = await run(items, ctx); // items not in `failed` succeeded
 * ```
 */
export function createBatchRun(deps: BatchRunDeps): BatchRun {
  async function call(batch: ReadonlyArray<BatchItem<unknown>>, ctx: BatchRunContext): Promise<void> {
    try {
      const result = deps.fn(batch, ctx);
      if (isThenable(result)) await withTimeout(result, deps, ctx);
    } catch (err) {
      if (!(err instanceof BatchItemsError)) throw err;
      for (const failure of err.failures as ReadonlyArray<{ item: BatchItem<unknown>; error: unknown }>) ctx.fail(failure.item, failure.error);
    }
  }

  async function inInbox(inbox: Inbox, items: ReadonlyArray<BatchItem<unknown>>, ctx: BatchRunContext): Promise<void> {
    const outcome = await inbox.runBatch!({ consumer: `${deps.service}:${deps.name}`, messageIds: items.map((item) => item.messageId) }, async (trx, fresh) => {
      ctx.trx = trx;
      const wanted = new Set(fresh);
      // One item per fresh id: a second copy of a message in the same batch is a duplicate.
      const batch = items.filter((item) => wanted.delete(item.messageId));
      await call(batch, ctx);
      return { result: undefined, unprocessed: [...ctx.failed.keys()].map((item) => item.messageId) };
    });
    const duplicates = items.length - outcome.fresh.length;
    if (duplicates > 0) {
      ctx.logger.debug({ duplicates }, 'duplicates skipped by the inbox');
      metroMetrics()?.inboxDuplicates.add(duplicates, { [SemanticAttributes.service]: deps.service, [SemanticAttributes.handler]: deps.name });
    }
  }

  return async (items, ctx) => {
    if (deps.inbox === undefined) await call(items, ctx);
    else await inInbox(deps.inbox, items, ctx);
    return ctx.failed;
  };
}
