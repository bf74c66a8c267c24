/**
 * The built-in roles of the admin API, from least to most:
 * - `viewer`: lists, details and stats; message payloads only with the `payloads` grant.
 * - `operator`: what a viewer does, payloads included, plus retry, edit, delete, restore, resume, complete, cancel, reschedule.
 * - `admin`: everything, the audit trail included.
 * - `payloads`: a grant, not a role on its own: lets a `viewer` read payloads and message bodies.
 */
export const ADMIN_ROLES = ['viewer', 'operator', 'admin', 'payloads'] as const;

/** A role (or the `payloads` grant) a {@link Principal} holds. */
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** What a procedure needs: `read` (lists, details, stats), `payloads` (message bodies), `operate` (mutations), `audit`. */
export type AdminPermission = 'read' | 'payloads' | 'operate' | 'audit';

const PERMISSIONS: Readonly<Record<AdminRole, ReadonlyArray<AdminPermission>>> = {
  viewer: ['read'],
  operator: ['read', 'payloads', 'operate'],
  admin: ['read', 'payloads', 'operate', 'audit'],
  payloads: ['payloads'],
};

/** The least role that has a permission, for messages ("needs the operator role"). */
export const ROLE_FOR: Readonly<Record<AdminPermission, AdminRole>> = { read: 'viewer', payloads: 'operator', operate: 'operator', audit: 'admin' };

/** Who made a call: what your `authorize` returns. */
export interface Principal {
  /** A stable, loggable name for the caller (`'ops-alice'`, a JWT `sub`). Never the secret. */
  readonly id: string;
  /** What the caller may do: `viewer`, `operator`, `admin` (and the `payloads` grant). Unknown names grant nothing. */
  readonly roles: ReadonlyArray<AdminRole>;
  /** When the credential stops being valid (a JWT's `exp`): calls and live subscriptions end then. */
  readonly expiresAt?: Date;
}

/**
 * Whether `principal` has `permission` through any of its roles.
 *
 * @example
 * ```ts
 * can({ id: 'grafana', roles: ['viewer'] }, 'operate'); // false
 * ```
 */
export function can(principal: Principal, permission: AdminPermission): boolean {
  const roles = Array.isArray(principal.roles) ? principal.roles : [];
  return roles.some((role) => (PERMISSIONS as Record<string, ReadonlyArray<AdminPermission> | undefined>)[role]?.includes(permission) === true);
}

/** The principal's roles for people: `viewer`, `operator+payloads`, or `none`. */
export function roleName(principal: Principal): string {
  const roles = Array.isArray(principal.roles) ? principal.roles.filter((r) => typeof r === 'string') : [];
  return roles.length === 0 ? 'none' : roles.join('+');
}

/** Every permission a principal has, for the dashboard to show or hide what it cannot do. */
export function permissionsOf(principal: Principal): AdminPermission[] {
  return (['read', 'payloads', 'operate', 'audit'] as const).filter((p) => can(principal, p));
}

/** Whether a principal is still valid at `now` (no `expiresAt`, or one in the future). */
export function unexpired(principal: Principal, now = Date.now()): boolean {
  return principal.expiresAt === undefined || principal.expiresAt.getTime() > now;
}
