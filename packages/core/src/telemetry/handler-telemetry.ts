import { SemanticAttributes as A } from './messaging-attributes.js';
import { handlerAttributeSet } from './metric-attribute-sets.js';
import { metroMetrics } from './metro-metrics.js';
import { startMetroSpan, type MetroSpan } from './metro-span.js';
import { tracingEnabled } from './tracing-switch.js';

/** One handler call being traced and measured: ends its span and records its duration once it settles. */
class HandlerCall {
  private readonly startedAt = performance.now();
  constructor(
    private readonly span: MetroSpan | undefined,
    private readonly handler: string,
    private readonly service: string,
  ) {}

  end(error: unknown, failed: boolean): void {
    if (failed) this.span?.fail(error);
    this.span?.end();
    metroMetrics()?.handlerDuration.record(
      (performance.now() - this.startedAt) / 1000,
      handlerAttributeSet(this.handler, this.service, failed ? 'error' : 'ok'),
    );
  }

  settle(pending: Promise<unknown>): Promise<unknown> {
    return pending.then(
      (value) => {
        this.end(undefined, false);
        return value;
      },
      (err: unknown) => {
        this.end(err, true);
        throw err;
      },
    );
  }
}

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
  const handlerCall = new HandlerCall(span, handler, service);
  let pending: Promise<unknown> | undefined;
  try {
    pending = span ? span.run(call) : call();
  } catch (err) {
    handlerCall.end(err, true);
    throw err;
  }
  if (pending === undefined) {
    handlerCall.end(undefined, false);
    return undefined;
  }
  return handlerCall.settle(pending);
}
