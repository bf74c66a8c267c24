import { SemanticAttributes as A } from './messaging-attributes.js';
import { metroMetrics } from './metro-metrics.js';
import { startMetroSpan } from './metro-span.js';
import { tracingEnabled } from './tracing-switch.js';

/**
 * Runs one handler call as an internal span `handler <name>` (child of the delivery's process
 * span; what the handler publishes, sends and logs is inside it) and records
 * `metro.handler.duration`. `call` returns a promise only when the handler is asynchronous, and
 * so does this: with tracing and metrics off it is `call()` itself.
 *
 * @example
 * ```ts
 * const pending = traceHandler('orders.placed#0', 1, 'billing', () => invoker.invoke(entry, payload, ctx));
 * ```
 */
export function traceHandler(handler: string, attempt: number, service: string, call: () => Promise<unknown> | undefined): Promise<unknown> | undefined {
  if (!tracingEnabled() && metroMetrics() === undefined) return call();
  const span = startMetroSpan(`handler ${handler}`, { kind: 'internal', attributes: { [A.handler]: handler, [A.attempt]: attempt, [A.service]: service } });
  const startedAt = performance.now();
  const end = (error: unknown, failed: boolean): void => {
    if (failed) span?.fail(error);
    span?.end();
    metroMetrics()?.handlerDuration.record((performance.now() - startedAt) / 1000, {
      [A.handler]: handler,
      [A.service]: service,
      [A.outcome]: failed ? 'error' : 'ok',
    });
  };
  let pending: Promise<unknown> | undefined;
  try {
    pending = span ? span.run(call) : call();
  } catch (err) {
    end(err, true);
    throw err;
  }
  if (pending === undefined) {
    end(undefined, false);
    return undefined;
  }
  return pending.then(
    (value) => {
      end(undefined, false);
      return value;
    },
    (err: unknown) => {
      end(err, true);
      throw err;
    },
  );
}
