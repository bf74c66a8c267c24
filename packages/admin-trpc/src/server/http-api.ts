import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeHTTPRequestHandler } from '@trpc/server/adapters/node-http';
import { authRequest, bearerToken, type Principal } from '../auth.js';
import type { ApiSettings } from './api-settings.js';
import { isJsonContentType, jsonProblem, originAllowed, readBody, sendError } from './http-guard.js';

/**
 * The admin API over HTTP: CORS for the listed origins, the request guards (method, origin,
 * content type, body size, a token for mutations), then the tRPC handler. Queries without a
 * token reach tRPC, whose procedures refuse them.
 */
export function createHttpApi(settings: ApiSettings): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  const { admin, prefix, maxBody, cors } = settings;

  async function authenticate(req: IncomingMessage): Promise<Principal | null> {
    const token = bearerToken(req.headers.authorization);
    return (await admin.authorize(authRequest(req, 'http', token, null))) ?? null;
  }

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
    const principal = await authenticate(req);
    if (req.method === 'POST') {
      if (!isJsonContentType(req.headers['content-type'])) {
        return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Mutations need `Content-Type: application/json`.');
      }
      if (principal === null) return sendError(res, 401, 'UNAUTHORIZED', 'Missing or invalid admin token: send `Authorization: Bearer <token>`.');
      const body = await readBody(req, maxBody);
      if (body === 'too-large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `Request body over ${maxBody} bytes. Send fewer ids per call.`);
      const problem = jsonProblem(body);
      if (problem !== undefined) return sendError(res, 400, 'BAD_REQUEST', problem);
      (req as IncomingMessage & { body?: unknown }).body = body;
    } else if ((req.url ?? '').length > 16 * 1024) {
      return sendError(res, 414, 'URI_TOO_LONG', 'Query input too large.');
    }
    await nodeHTTPRequestHandler({
      router: admin.router,
      req,
      res,
      path: pathname.slice(prefix.length + 1),
      maxBodySize: maxBody,
      createContext: () => admin.createContext(principal, 'http'),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') admin.logger.error({ err: error.cause ?? error, procedure: path }, 'admin procedure failed');
      },
    });
  };
}
