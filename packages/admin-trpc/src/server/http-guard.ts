import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonSafely } from '@metro/core';

/** Default request body limit: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Writes a JSON error in tRPC's error shape, so the typed client reports it as usual. */
export function sendError(res: ServerResponse, httpStatus: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, code: -32600, data: { code, httpStatus } } });
  res.writeHead(httpStatus, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** True for `application/json` (parameters such as `charset` allowed). */
export function isJsonContentType(header: string | undefined): boolean {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Reads a request body up to `maxBytes`. Resolves with the text, or with `'too-large'` as soon as
 * the limit is passed (by `Content-Length` or by bytes actually received).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    });
    req.on('error', (err) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
  });
}

/** Checks a JSON body for syntax and prototype-pollution keys; returns the problem or `undefined`. */
export function jsonProblem(text: string): string | undefined {
  if (text.length === 0) return undefined;
  try {
    parseJsonSafely(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Is the browser Origin (if any) the server's own, or one explicitly allowed? */
export function originAllowed(req: IncomingMessage, allowed: ReadonlyArray<string>): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** Answers 429 to a client address blocked by the sign-in throttle, with `Retry-After` in seconds. */
export function sendThrottled(res: ServerResponse, retryAfterMs: number): void {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  sendError(res, 429, 'TOO_MANY_REQUESTS', `Too many refused admin tokens from this address: try again in ${seconds} s.`, { 'retry-after': String(seconds) });
}
