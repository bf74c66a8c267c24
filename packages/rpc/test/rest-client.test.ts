import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CORRELATION_HEADER, withCorrelation } from '@metro/core';
import { createRestClient, HttpError, HttpLoginError, HttpNetworkError, HttpTimeoutError } from '../src/index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let baseUrl: string;
let logins = 0;
let validToken: string | undefined;
const seen: Seen[] = [];

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  const url = new URL(req.url ?? '/', 'http://x');
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
  if (url.pathname === '/api/login') {
    const creds = JSON.parse(body) as { user: string; password: string };
    await new Promise((r) => setTimeout(r, 60));
    if (creds.password !== 'secret') return json(res, 403, { error: 'bad credentials' });
    logins++;
    validToken = `tok-${logins}`;
    return json(res, 200, { access_token: validToken });
  }
  if (url.pathname === '/api/static') {
    return req.headers.authorization === 'Token fixed' ? json(res, 200, { ok: true }) : json(res, 401, { error: 'no' });
  }
  if (url.pathname === '/api/always-401') return json(res, 401, { error: 'never' });
  if (req.headers.authorization !== `Bearer ${validToken}`) return json(res, 401, { error: 'token expired' });
  switch (url.pathname) {
    case '/api/echo':
      return json(res, 200, {
        method: req.method,
        query: [...url.searchParams.entries()],
        correlation: req.headers[CORRELATION_HEADER],
        contentType: req.headers['content-type'] ?? null,
        body: body === '' ? null : (JSON.parse(body) as unknown),
      });
    case '/api/slow':
      await new Promise((r) => setTimeout(r, 1000));
      return json(res, 200, { late: true });
    case '/api/fail':
      return json(res, 500, { error: 'db down' });
    case '/api/missing':
      return json(res, 404, { error: 'no such thing' });
    case '/api/text':
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end('hello');
    case '/api/empty':
      res.writeHead(204);
      return void res.end();
    case '/api/polluted':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"__proto__":{"admin":true}}');
    default:
      return json(res, 404, { error: 'route' });
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch(() => json(res, 500, { error: 'test server' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
});

const auth = () => ({ loginUrl: '/login', credentials: { user: 'svc', password: 'secret' } });

describe('REST client', () => {
  it('logs in on first use, sends JSON, query params and the correlation header', async () => {
    const client = createRestClient({ baseUrl, auth: auth() });
    const before = logins;
    const got = await withCorrelation('corr-rest', () =>
      client.post<{ method: string; query: string[][]; correlation: string; contentType: string; body: unknown }>(
        '/echo',
        { a: 1 },
        { query: { q: 'x y', n: 2, tags: ['a', 'b'], skip: undefined, none: null } },
      ),
    );
    expect(logins - before).toBe(1);
    expect(got).toEqual({
      method: 'POST',
      query: [
        ['q', 'x y'],
        ['n', '2'],
        ['tags', 'a'],
        ['tags', 'b'],
      ],
      correlation: 'corr-rest',
      contentType: 'application/json',
      body: { a: 1 },
    });
    // Login call carried the correlation header as well.
    const login = seen.find((s) => s.url === '/api/login');
    expect(login?.headers[CORRELATION_HEADER]).toBe('corr-rest');
    // Without a context, every request still gets a correlation id.
    await client.get('/echo');
    const last = seen[seen.length - 1]!;
    expect(String(last.headers[CORRELATION_HEADER])).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.logins).toBe(1);
  });

  it('supports put, patch, delete, head', async () => {
    const client = createRestClient({ baseUrl, auth: auth() });
    expect(await client.put<{ method: string; body: unknown }>('/echo', { v: 1 })).toMatchObject({ method: 'PUT', body: { v: 1 } });
    expect(await client.patch<{ method: string }>('/echo', { v: 2 })).toMatchObject({ method: 'PATCH' });
    expect(await client.delete<{ method: string; body: unknown }>('/echo', { body: { why: 'x' } })).toMatchObject({ method: 'DELETE', body: { why: 'x' } });
    const head = await client.head('/echo');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json');
    expect(await client.get('/text')).toBe('hello');
    expect(await client.get('/empty')).toBeUndefined();
  });

  it('logs in again on a 401, and concurrent 401s share one login', async () => {
    const client = createRestClient({ baseUrl, auth: auth() });
    await client.get('/echo');
    const before = logins;
    validToken = 'revoked-by-server';
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.get<{ query: string[][] }>('/echo', { query: { i } })));
    expect(results.map((r) => r.query[0]![1])).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    expect(logins - before).toBe(1);
    expect(client.logins).toBe(2);
  });

  it('retries a 401 once only, then throws HttpError 401', async () => {
    const client = createRestClient({ baseUrl, auth: auth() });
    const before = logins;
    const err = await client.get('/always-401').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 401, code: 'HTTP_STATUS', body: { error: 'never' } });
    expect(logins - before).toBe(2); // first use + one re-login
    expect(seen.filter((s) => s.url === '/api/always-401')).toHaveLength(2);
  });

  it('raises HttpLoginError for refused credentials', async () => {
    const client = createRestClient({ baseUrl, auth: { loginUrl: `${baseUrl}/login`, credentials: { user: 'svc', password: 'wrong' } } });
    const err = await client.get('/echo').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpLoginError);
    expect(err).toMatchObject({ code: 'HTTP_LOGIN_FAILED', status: 403 });
    const noToken = createRestClient({ baseUrl, auth: { ...auth(), tokenFrom: () => undefined } });
    await expect(noToken.get('/echo')).rejects.toThrow(/no token/);
  });

  it('sends a static token with its scheme', async () => {
    const client = createRestClient({ baseUrl, auth: { token: 'fixed', scheme: 'Token' } });
    await expect(client.get('/static')).resolves.toEqual({ ok: true });
    const wrong = createRestClient({ baseUrl, auth: { token: 'other', scheme: 'Token' } });
    await expect(wrong.get('/static')).rejects.toMatchObject({ status: 401 });
  });

  it('raises typed errors: status, timeout, network, polluted JSON', async () => {
    const client = createRestClient({ baseUrl, auth: auth(), timeout: 300 });
    await expect(client.get('/fail')).rejects.toMatchObject({ status: 500, body: { error: 'db down' } });
    await expect(client.get('/missing')).rejects.toThrow(/404: check the path/);
    const started = Date.now();
    await expect(client.get('/slow')).rejects.toBeInstanceOf(HttpTimeoutError);
    expect(Date.now() - started).toBeLessThan(900);
    await expect(client.get('/polluted')).rejects.toMatchObject({ code: 'DECODE_FAILED' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller left')), 50);
    await expect(client.get('/slow', { signal: controller.signal, timeout: 5000 })).rejects.toThrow('caller left');

    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const down = createRestClient({ baseUrl: `http://127.0.0.1:${port}` });
    await expect(down.get('/x')).rejects.toBeInstanceOf(HttpNetworkError);
  });

  it('applies request and response formatters (client-wide and per request)', async () => {
    const snake = (v: unknown) =>
      Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), x]));
    const client = createRestClient({
      baseUrl,
      auth: auth(),
      formatRequest: snake,
      formatResponse: (body) => ({ wrapped: body }),
    });
    const got = await client.post<{ wrapped: { body: unknown } }>('/echo', { customerId: 1, firstName: 'Ada' });
    expect(got.wrapped.body).toEqual({ customer_id: 1, first_name: 'Ada' });
    const raw = await client.post<{ body: unknown }>('/echo', { customerId: 1 }, { formatRequest: (b) => b, formatResponse: (b) => b });
    expect(raw.body).toEqual({ customerId: 1 });
  });

  it('applies the request formatter to query parameters too, and passes headers, timeout, signal and other fetch options through', async () => {
    const snake = (v: unknown) =>
      Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), x]));
    const client = createRestClient({ baseUrl, auth: auth(), formatRequest: snake, headers: { 'x-client': 'metro' } });
    seen.length = 0;
    const controller = new AbortController();
    await client.get('/echo', {
      query: { customerId: 7, pageSize: [1, 2], skipMe: undefined },
      headers: { 'x-tenant': 'eu' },
      timeout: '5s',
      signal: controller.signal,
      init: { keepalive: true, redirect: 'error' },
    });
    const echoed = seen.find((s) => s.url.startsWith('/api/echo'));
    expect(echoed?.url).toBe('/api/echo?customer_id=7&page_size=1&page_size=2');
    expect(echoed?.headers).toMatchObject({ 'x-tenant': 'eu', 'x-client': 'metro' });
    await client.get('/echo', { query: { customerId: 8 }, formatRequest: (q) => q });
    expect(seen.at(-1)?.url).toBe('/api/echo?customerId=8');
    controller.abort(new Error('caller left'));
    await expect(client.get('/echo', { signal: controller.signal })).rejects.toThrow('caller left');
    const seenBefore = seen.length;
    await expect(client.get('/echo', { init: { redirect: 'error', method: 'POST' } as RequestInit })).resolves.toBeDefined();
    expect(seen.at(-1)?.method).toBe('GET'); // method, body, headers and signal are the client's own
    expect(seen.length).toBe(seenBefore + 1);
  });
});
