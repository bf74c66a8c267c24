import type { AdminClient } from '@metro/admin-client';

/** What the signed-in principal may do, from `session.whoami`. */
export type Permission = 'read' | 'payloads' | 'operate' | 'audit';

/** Who is signed in, for the header and for what the views show. */
export interface Session {
  readonly principal: string;
  /** `viewer`, `operator`, `admin`, or a combination (`viewer+payloads`). */
  readonly role: string;
  /** Whether the principal may do it: views hide what it may not (the server refuses it anyway). */
  can(permission: Permission): boolean;
}

/** Asks the server who the token belongs to and what it may do. */
export async function loadSession(client: AdminClient): Promise<Session> {
  const who = await client.session.whoami.query();
  const permissions = new Set<string>(who.permissions);
  return { principal: who.principal, role: who.role, can: (permission) => permissions.has(permission) };
}

/** A message payload for a table cell: its JSON, or a note when the role may not read it. */
export function payloadText(item: { payload: unknown; payloadHidden: boolean }): string {
  return item.payloadHidden ? '(hidden for your role)' : JSON.stringify(item.payload);
}
