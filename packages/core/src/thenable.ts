/**
 * True for a promise or any other thenable (what `await` would wait for). The bus and the RPC
 * server use it to stay synchronous while a handler or validator is.
 *
 * @example
 * ```ts
 * const result = handler(payload);
 * if (isThenable(result)) await result;
 * ```
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}
