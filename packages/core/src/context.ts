import { AsyncLocalStorage } from 'node:async_hooks';
import { uuidv7 } from './id.js';

/** What Metro keeps for the current async call tree: the ids every outgoing message carries on. */
export interface CorrelationContext {
  readonly correlationId: string;
  /** The id of the message being handled; becomes `causationid` of anything published from here. */
  readonly causationId?: string | undefined;
  readonly traceparent?: string | undefined;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/** The correlation context of the current async call tree, if any. */
export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

/**
 * Runs `fn` with a correlation id (and optional causation id / traceparent) that every
 * `metro.publish` / `metro.send` / RPC call made inside it carries on. Use it in HTTP middleware.
 *
 * @example
 * ```ts
 * app.use((req, res, next) => withCorrelation(req.headers['x-correlation-id'] ?? uuidv7(), next));
 * ```
 */
export function withCorrelation<T>(correlation: string | (Partial<CorrelationContext> & { correlationId?: string }), fn: () => T): T {
  const ctx: CorrelationContext =
    typeof correlation === 'string' ? { correlationId: correlation } : { ...correlation, correlationId: correlation.correlationId ?? uuidv7() };
  return storage.run(ctx, fn);
}

/**
 * Runs `fn` with exactly this correlation context (no defaults filled in), passing it `args` (so a
 * caller on a hot path needs no closure). The bus uses it around each message's handlers; prefer
 * {@link withCorrelation} in application code.
 *
 * @example
 * ```ts
 * runWithCorrelation({ correlationId: 'c-1', causationId: envelope.id }, () => handle(envelope));
 * ```
 */
export function runWithCorrelation<T, A extends unknown[] = []>(context: CorrelationContext, fn: (...args: A) => T, ...args: A): T {
  return storage.run(context, fn, ...args);
}

/** The HTTP header Metro uses for correlation ids (REST client, middleware). */
export const CORRELATION_HEADER = 'x-correlation-id';
