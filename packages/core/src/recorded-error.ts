import type { RecordedError } from './stores/failure-store.js';
import { MetroError, toError } from './errors.js';

/**
 * Turns any thrown value into the plain data a FailureStore keeps (name, code, message, stack).
 *
 * @example
 * ```ts
 * recordError('oops'); // { name: 'NonErrorThrown', code: 'NON_ERROR_THROWN', message: '...', stack: '...' }
 * ```
 */
export function recordError(value: unknown): RecordedError {
  const error = toError(value);
  const raw: unknown = error instanceof MetroError ? error.code : (error as Error & { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : undefined;
  return { name: error.name, ...(code !== undefined ? { code } : {}), message: error.message, ...(error.stack !== undefined ? { stack: error.stack } : {}) };
}
