import type { IncomingMessage } from 'node:http';
import { authRequest, type ProcedureCall } from '../auth/authorizer.js';
import type { Principal } from '../auth/roles.js';
import type { ApiSettings } from './api-settings.js';

/** A caller's credentials, as the HTTP request or the WebSocket brought them. */
export interface Credentials {
  readonly token: string | undefined;
  readonly connectionParams: Record<string, string> | null;
  readonly remoteAddress: string | undefined;
}

/**
 * Signs a caller in for the HTTP and WebSocket halves of the server: asks the authorizer, and
 * on a refusal counts it against the client address (the throttle) and writes it to the audit
 * trail (a `throttled` entry too when it starts a block).
 */
export async function signIn(
  settings: ApiSettings,
  req: IncomingMessage,
  transport: 'http' | 'ws',
  credentials: Credentials,
  procedures: ReadonlyArray<ProcedureCall | null>,
): Promise<Map<string, Principal> | null> {
  const { admin, throttle } = settings;
  const address = credentials.remoteAddress ?? 'unknown';
  const principals = new Map<string, Principal>();
  for (const procedure of procedures) {
    const principal = (await admin.authorize(authRequest(req, transport, credentials, procedure))) ?? null;
    if (principal === null) {
      const procedureNames = procedures.map((p) => p?.path ?? 'connect').join(',');
      const entry = { kind: 'sign-in' as const, principal: null, clientAddress: address, transport, procedure: procedureNames };
      admin.logger.warn({ clientAddress: address, transport, procedure: procedureNames }, `admin sign-in refused from ${address} (${transport})`);
      await admin.audit.record({ ...entry, outcome: 'refused' });
      if (throttle?.failed(address)) {
        admin.logger.warn({ clientAddress: address, transport }, `admin sign-in: too many refused tokens from ${address}; blocked for a while (429)`);
        await admin.audit.record({ ...entry, outcome: 'throttled', error: 'too many refused sign-ins from this address' });
      }
      return null;
    }
    principals.set(procedure?.path ?? '', principal);
  }
  throttle?.succeeded(address);
  return principals;
}
