import { SemanticAttributes as A } from './messaging-attributes.js';
import { startMetroSpan } from './metro-span.js';
import { tracingEnabled } from './tracing-switch.js';

/**
 * Runs one call of a batch handler as an internal span `batch <name>`: the root of a trace of its
 * own (a batch runs outside any one message's context), linked to the `handler <name>` span of
 * each message in it (the messaging conventions' way to tie a batch to its messages; the SDK
 * keeps the first 128 links by default). What the batch handler publishes, sends and logs is
 * inside it. A batch that fails as a whole ends with error status; the items it failed one by one
 * are counted in `metro.batch.failed`. With tracing off it is `run()` itself.
 *
 * @example
 * ```ts
 * const failed = await traceBatch('orders.placed#0', 'billing', traceparents, () => run(items, ctx));
 * ```
 */
export function traceBatch<T extends ReadonlyMap<unknown, unknown>>(
  handler: string,
  service: string,
  traceparents: ReadonlyArray<string | undefined>,
  run: () => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return run();
  const span = startMetroSpan(`batch ${handler}`, {
    kind: 'internal',
    parent: 'root',
    links: traceparents,
    attributes: { [A.handler]: handler, [A.service]: service, [A.batchCount]: traceparents.length },
  });
  if (span === undefined) return run();
  return span.run(run).then(
    (failed) => {
      span.setAttributes({ [A.batchFailed]: failed.size });
      span.end();
      return failed;
    },
    (err: unknown) => {
      span.fail(err);
      span.end();
      throw err;
    },
  );
}
