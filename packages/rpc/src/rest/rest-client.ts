import { CORRELATION_HEADER, currentCorrelation, parseJsonSafely, defaultLogger, toMilliseconds, uuidv7, type Duration, type Logger } from '@metro/core';
import { injectActiveTraceContext } from '@metro/core/telemetry';
import { HttpError, HttpNetworkError, HttpTimeoutError } from './http-error.js';
import { TokenSource, type RestAuth } from './rest-auth.js';

/** Query parameters; `undefined`/`null` are left out, arrays repeat the parameter. */
export type QueryParams = Readonly<Record<string, string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>>>;

export interface RestClientOptions {
  /** e.g. `'https://crm.internal/api/v2'`; request paths are appended to it. */
  readonly baseUrl: string;
  readonly auth?: RestAuth;
  /** Per-request timeout (including login). Default `'30s'`. */
  readonly timeout?: Duration;
  /** Headers sent on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Turns what the request sends into what the peer expects (e.g. camelCase → snake_case): the
   * JSON body, and the query parameters (their object, before they are encoded into the URL).
   */
  readonly formatRequest?: (body: unknown) => unknown;
  /** Turns a parsed JSON response into what your code expects. */
  readonly formatResponse?: (body: unknown) => unknown;
  readonly logger?: Logger;
  /** Default: the global `fetch`. */
  readonly fetch?: typeof fetch;
}

export interface RestRequestOptions {
  readonly query?: QueryParams;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeout?: Duration;
  readonly signal?: AbortSignal;
  /**
   * Other `fetch` options of this request (`credentials`, `keepalive`, `redirect`, `cache`...),
   * passed through as they are (django-microservices-communication's `**kwargs`). `method`,
   * `body`, `headers` and `signal` have their own options.
   */
  readonly init?: Omit<RequestInit, 'method' | 'body' | 'headers' | 'signal'>;
  /** Overrides the client's `formatRequest` for this request. */
  readonly formatRequest?: (body: unknown) => unknown;
  /** Overrides the client's `formatResponse` for this request. */
  readonly formatResponse?: (body: unknown) => unknown;
}

/** A whole answer: status, headers and the parsed body. */
export interface RestResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  readonly data: T;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

/** A JSON-over-HTTP client for a plain REST peer. Methods resolve with the parsed body or throw typed errors. */
export interface RestClient {
  request<T = unknown>(method: HttpMethod, path: string, options?: RestRequestOptions & { body?: unknown }): Promise<RestResponse<T>>;
  get<T = unknown>(path: string, options?: RestRequestOptions): Promise<T>;
  post<T = unknown>(path: string, body?: unknown, options?: RestRequestOptions): Promise<T>;
  put<T = unknown>(path: string, body?: unknown, options?: RestRequestOptions): Promise<T>;
  patch<T = unknown>(path: string, body?: unknown, options?: RestRequestOptions): Promise<T>;
  delete<T = unknown>(path: string, options?: RestRequestOptions & { body?: unknown }): Promise<T>;
  /** Status and headers only. */
  head(path: string, options?: RestRequestOptions): Promise<{ status: number; headers: Headers }>;
  /** Logins made so far (first use, then one per refused token). */
  readonly logins: number;
}

function isRawBody(body: unknown): body is NonNullable<RequestInit['body']> {
  return (
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer ||
    body instanceof URLSearchParams ||
    body instanceof FormData ||
    body instanceof Blob
  );
}

/**
 * Creates a client for a plain HTTP/JSON peer. Bodies are JSON by default; every request carries
 * the correlation id header (`x-correlation-id`, from the current context or a new one). With
 * `auth.loginUrl` it logs in on first use and again on a 401 (once per refused token; concurrent
 * 401s share one login), then retries the request once.
 * Throws `HttpError` (non-2xx), `HttpLoginError`, `HttpTimeoutError`, `HttpNetworkError`.
 *
 * @example
 * ```ts
 * const crm = createRestClient({ baseUrl: 'https://crm.internal/api', auth: { loginUrl: '/login', credentials: { user, password } } });
 * const customer = await crm.get<Customer>('/customers/42', { query: { expand: 'address' } });
 * await crm.post('/notes', { customerId: 42, text: 'called' });
 * ```
 */
export function createRestClient(options: RestClientOptions): RestClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const logger = options.logger ?? defaultLogger;
  const defaultTimeoutMs = toMilliseconds(options.timeout ?? '30s');
  const base = options.baseUrl.replace(/\/+$/, '');
  const resolveUrl = (path: string): string => (/^https?:\/\//i.test(path) ? path : `${base}/${path.replace(/^\/+/, '')}`);
  const tokens = options.auth ? new TokenSource(options.auth, resolveUrl, fetchImpl, defaultTimeoutMs, logger) : undefined;

  const buildUrl = (path: string, query: QueryParams | undefined): string => {
    const url = resolveUrl(path);
    if (!query) return url;
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null) continue;
      if (Array.isArray(value)) for (const v of value as ReadonlyArray<string | number | boolean>) params.append(key, String(v));
      else params.append(key, String(value));
    }
    const text = params.toString();
    return text === '' ? url : `${url}${url.includes('?') ? '&' : '?'}${text}`;
  };

  async function request<T>(method: HttpMethod, path: string, opts: RestRequestOptions & { body?: unknown } = {}): Promise<RestResponse<T>> {
    const format = opts.formatRequest ?? options.formatRequest;
    const url = buildUrl(path, opts.query !== undefined && format ? (format(opts.query) as QueryParams) : opts.query);
    const timeoutMs = opts.timeout === undefined ? defaultTimeoutMs : toMilliseconds(opts.timeout);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...opts.headers };
    headers[CORRELATION_HEADER] = currentCorrelation()?.correlationId ?? uuidv7();
    injectActiveTraceContext(headers); // W3C traceparent of the active span (a handler's, an RPC's), when tracing is on
    let body: RequestInit['body'] | undefined;
    if (opts.body !== undefined) {
      if (isRawBody(opts.body)) body = opts.body;
      else {
        body = JSON.stringify(format ? format(opts.body) : opts.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
    }
    const timeoutSignal = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeoutSignal]) : timeoutSignal;
    const started = Date.now();

    const send = async (token: string | undefined): Promise<Response> => {
      const sent = token === undefined || !tokens ? headers : { ...headers, authorization: tokens.header(token) };
      try {
        return await fetchImpl(url, { ...opts.init, method, headers: sent, signal, ...(body !== undefined ? { body } : {}) });
      } catch (err) {
        throw abortError(err);
      }
    };
    const abortError = (err: unknown): unknown => {
      if (timeoutSignal.aborted && !opts.signal?.aborted) return new HttpTimeoutError(method, url, timeoutMs);
      if (opts.signal?.aborted) return opts.signal.reason;
      return new HttpNetworkError(method, url, err);
    };

    let token = tokens ? await tokens.current() : undefined;
    let response = await send(token);
    if (response.status === 401 && tokens && token !== undefined) {
      await response.body?.cancel().catch(() => undefined);
      logger.debug({ url, correlationId: headers[CORRELATION_HEADER] }, 'REST peer refused the token; logging in again');
      token = await tokens.refresh(token);
      response = await send(token);
    }
    let text: string;
    try {
      text = method === 'HEAD' ? '' : await response.text();
    } catch (err) {
      throw abortError(err);
    }
    let data: unknown = undefined;
    if (text !== '') {
      const type = response.headers.get('content-type') ?? '';
      if (/[/+]json\b/i.test(type)) data = parseJsonSafely(text);
      else data = text;
    }
    logger.debug({ method, url, status: response.status, ms: Date.now() - started, correlationId: headers[CORRELATION_HEADER] }, 'REST call');
    if (!response.ok) throw new HttpError(method, url, response.status, data);
    const formatResponse = opts.formatResponse ?? options.formatResponse;
    if (formatResponse && data !== undefined && typeof data !== 'string') data = formatResponse(data);
    return { status: response.status, headers: response.headers, data: data as T };
  }

  const dataOf = <T>(promise: Promise<RestResponse<T>>): Promise<T> => promise.then((r) => r.data);
  return {
    request,
    get: (path, opts) => dataOf(request('GET', path, opts)),
    post: (path, body, opts) => dataOf(request('POST', path, { ...opts, body })),
    put: (path, body, opts) => dataOf(request('PUT', path, { ...opts, body })),
    patch: (path, body, opts) => dataOf(request('PATCH', path, { ...opts, body })),
    delete: (path, opts) => dataOf(request('DELETE', path, opts)),
    head: (path, opts) => request('HEAD', path, opts).then(({ status, headers }) => ({ status, headers })),
    get logins() {
      return tokens?.logins ?? 0;
    },
  };
}
