import { CORRELATION_HEADER, currentCorrelation, DecodeError, parseJsonSafely, uuidv7, type Logger } from '@metro/core';
import { HttpLoginError, HttpNetworkError, HttpTimeoutError } from './http-error.js';

/**
 * How a REST client authenticates: a fixed token (or a function returning one, called again
 * after a 401), or a login call whose answer holds the token.
 */
export type RestAuth =
  | {
      /** Sent as `Authorization: <scheme> <token>`. A function is called on first use and after each 401. */
      readonly token: string | (() => string | Promise<string>);
      /** Default `'Bearer'`. */
      readonly scheme?: string;
    }
  | {
      /** Absolute URL, or a path under `baseUrl`, that takes a JSON POST of `credentials`. */
      readonly loginUrl: string;
      readonly credentials: Readonly<Record<string, unknown>>;
      /** Reads the token from the login answer. Default: `access_token`, `accessToken` or `token`. */
      readonly tokenFrom?: (body: unknown) => string | undefined;
      /** Default `'Bearer'`. */
      readonly scheme?: string;
    };

/** Holds the current token; logs in on first use and after a 401, one login at a time. */
export class TokenSource {
  private token: string | undefined;
  private pending: Promise<string> | undefined;
  /** Logins (or token function calls) made so far. */
  logins = 0;

  constructor(
    private readonly auth: RestAuth,
    private readonly resolveUrl: (path: string) => string,
    private readonly fetchImpl: typeof fetch,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** `Authorization` header value for a token. */
  header(token: string): string {
    return `${this.auth.scheme ?? 'Bearer'} ${token}`;
  }

  /** The token to send now (logs in on first use; concurrent first uses share one login). */
  current(): Promise<string> {
    if (this.token !== undefined) return Promise.resolve(this.token);
    return this.obtain();
  }

  /** A fresh token after `stale` was refused: a login, unless another caller already replaced it. */
  refresh(stale: string): Promise<string> {
    if (this.token !== undefined && this.token !== stale) return Promise.resolve(this.token);
    this.token = undefined;
    return this.obtain();
  }

  private obtain(): Promise<string> {
    this.pending ??= this.fetchToken().then(
      (token) => {
        this.token = token;
        this.pending = undefined;
        return token;
      },
      (err: unknown) => {
        this.pending = undefined;
        throw err;
      },
    );
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    this.logins++;
    const auth = this.auth;
    if ('token' in auth) return typeof auth.token === 'function' ? auth.token() : auth.token;
    const url = this.resolveUrl(auth.loginUrl);
    this.logger.debug({ url }, 'REST client logging in');
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          [CORRELATION_HEADER]: currentCorrelation()?.correlationId ?? uuidv7(),
        },
        body: JSON.stringify(auth.credentials),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) throw new HttpTimeoutError('POST', url, this.timeoutMs);
      throw new HttpNetworkError('POST', url, err);
    }
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === '' ? undefined : parseJsonSafely(text);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
    }
    if (!response.ok) throw new HttpLoginError('POST', url, response.status, body);
    const token = auth.tokenFrom ? auth.tokenFrom(body) : defaultToken(body);
    if (typeof token !== 'string' || token === '') {
      throw new HttpLoginError('POST', url, response.status, body, 'the answer holds no token. Pass `tokenFrom: (body) => body.<field>`.');
    }
    return token;
  }
}

function defaultToken(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['access_token', 'accessToken', 'token']) {
    if (typeof record[key] === 'string') return record[key];
  }
  return undefined;
}
