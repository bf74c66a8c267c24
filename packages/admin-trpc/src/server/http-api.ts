import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { authRequest, bearerToken, type ProcedureCall } from '../auth/authorizer.js';
import type { ApiSettings } from './api-settings.js';
import { isJsonContentType, jsonProblem, originAllowed, readBody, sendError, sendThrottled } from './http-guard.js';
import { signIn, type Credentials } from './sign-in.js';

/** The procedures an HTTP request calls (several in a `?batch=1` call), with their types; unknown paths are left to tRPC's 404. */
function callsOf(settings: ApiSettings, req: IncomingMessage, pathname: string): { calls: ProcedureCall[]; count: number } {
  const path = pathname.slice(settings.prefix.length + 1);
  const batch = new URL(req.url ?? '/', 'http://localhost').searchParams.get('batch') === '1';
  const paths = batch ? path.split(',') : [path];
  const calls: ProcedureCall[] = [];
  for (const p of new Set(paths)) {
    const type = settings.admin.procedureType(p);
    if (type !== undefined) calls.push({ path: p, type });
  }
  return { calls, count: paths.length };
}

/**
 * The admin API over HTTP: CORS for the listed origins, the request guards (method, origin,
 * content type, body size, batch size), the sign-in throttle (429), sign-in for every procedure
 * the request calls (401, audited), then the tRPC handler, whose procedures check roles (403).
 */
export function createHttpApi(settings: ApiSettings): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  const { admin, prefix, maxBody, maxBatch, cors, throttle } = settings;

  return async function handleApi(req, res, pathname) {
    const origin = req.headers.origin;
    if (origin !== undefined && cors.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('access-control-allow-methods', 'GET, POST');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (!originAllowed(req, cors)) return sendError(res, 403, 'FORBIDDEN', 'Cross-origin requests are refused. Add the origin to corsOrigins to allow it.');
    if (req.method !== 'GET' && req.method !== 'POST') return sendError(res, 405, 'METHOD_NOT_SUPPORTED', 'Use GET for queries and POST for mutations.');
    if ((req.url ?? '').length > 16 * 1024) return sendError(res, 414, 'URI_TOO_LONG', 'Query input too large.');
    const { calls, count } = callsOf(settings, req, pathname);
    if (count > maxBatch)
      return sendError(res, 400, 'BAD_REQUEST', `At most ${maxBatch} calls per batch; this one has ${count}. Send them in several requests.`);
    if (req.method === 'POST' && !isJsonContentType(req.headers['content-type'])) {
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Mutations need `Content-Type: application/json`.');
    }
    const credentials: Credentials = { token: bearerToken(req.headers.authorization), connectionParams: null, remoteAddress: settings.clientAddress(req) };
    const blockedMs = throttle?.retryAfterMs(credentials.remoteAddress ?? 'unknown') ?? 0;
    if (blockedMs > 0) return sendThrottled(res, blockedMs);
    const principals = calls.length === 0 ? new Map() : await signIn(settings, req, 'http', credentials, calls);
    if (principals === null) return sendError(res, 401, 'UNAUTHORIZED', 'Missing or invalid admin token: send `Authorization: Bearer <token>`.');
    if (req.method === 'POST') {
      const body = await readBody(req, maxBody);
      if (body === 'too-large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request body over ${maxBody} bytes. Send fewer ids per call.`);
      const problem = jsonProblem(body);
      if (problem !== undefined) return sendError(res, 400, 'BAD_REQUEST', problem);
      (req as IncomingMessage & { body?: unknown }).body = body;
    }
    await nodeHTTPRequestHandler({
      router: admin.router,
      req,
      res,
      path: pathname.slice(prefix.length + 1),
      maxBodySize: maxBody,
      maxBatchSize: maxBatch,
      createContext: () =>
        admin.createContext({
          transport: 'http',
          clientAddress: credentials.remoteAddress ?? null,
          principalFor: async (call) => principals.get(call.path) ?? (await admin.authorize(authRequest(req, 'http', credentials, call))) ?? null,
        }),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') admin.logger.error({ err: error.cause ?? error, procedure: path }, 'admin procedure failed');
      },
    });
  };
}
