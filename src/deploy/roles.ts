/**
 * Roles and permissions of deploy-mode sessions: roles are given at sign-in
 * ({@link resolveRoles}) and kept in the session; permissions come from the app's role map
 * ({@link RolePermissions}) when checked.
 *
 * @module
 */
import { type UserInfo, userIdFromUserInfo } from '../providers/types.js';
import type { UserSession } from './session.js';

/**
 * Permissions of each role: role name → permission names. A role missing from the map grants
 * nothing.
 *
 * @example
 * ```ts
 * const auth = createAuthApp({
 *   ...options,
 *   rolePermissions: { admin: ['read', 'write', 'billing'], member: ['read'], anonymous: [] },
 *   rolesFromClaims: (claims) => (Array.isArray(claims.groups) ? claims.groups.map(String) : []),
 * });
 * app.post('/invoices', auth.requirePermission('billing'), handler);
 * ```
 */
export type RolePermissions = Readonly<Record<string, readonly string[]>>;

/** The default role → permission map. */
export const DEFAULT_ROLE_PERMISSIONS: RolePermissions = Object.freeze({
  admin: Object.freeze(['read', 'write', 'admin', 'delete', 'manage_users']),
  editor: Object.freeze(['read', 'write']),
  viewer: Object.freeze(['read']),
  anonymous: Object.freeze([]),
});

/**
 * Whether the session's roles grant `permission`.
 *
 * @param session The session, or `null` for an anonymous request (then only `anonymous`'s
 *   permissions count).
 * @param permission The permission to check, e.g. `write`.
 * @param rolePermissions The role → permission map; defaults to {@link DEFAULT_ROLE_PERMISSIONS}.
 *
 * @example
 * ```ts
 * hasPermission({ roles: ['viewer'] }, 'read'); // true
 * hasPermission({ roles: ['viewer'] }, 'write'); // false
 * hasPermission(null, 'read'); // false: `anonymous` has no permissions by default
 * ```
 */
export function hasPermission(
  session: Pick<UserSession, 'roles'> | null | undefined,
  permission: string,
  rolePermissions: RolePermissions = DEFAULT_ROLE_PERMISSIONS,
): boolean {
  const roles = session?.roles ?? ['anonymous'];
  return roles.some(
    (role) => Object.hasOwn(rolePermissions, role) && rolePermissions[role]?.includes(permission),
  );
}

/** Whether the session has the `admin` role. */
export function isAdmin(session: Pick<UserSession, 'roles'> | null | undefined): boolean {
  return session?.roles.includes('admin') ?? false;
}

/** Inputs of {@link resolveRoles}. */
export interface ResolveRolesOptions {
  /** Roles everyone gets. */
  defaultRoles: readonly string[];
  /** User ids or verified emails that also get `admin`. */
  adminUsers: readonly string[];
  /** Maps the provider's claims to extra roles. */
  rolesFromClaims?: (userInfo: UserInfo) => readonly string[] | Promise<readonly string[]>;
}

/**
 * The roles of a user signing in: the default roles, `admin` when the user id or email is
 * listed in `adminUsers`, and the roles mapped from claims. An email counts only when the
 * provider marks it verified (`email_verified === true`), so nobody becomes admin by typing
 * someone's address into an unverified profile; that holds also when the email is the user id
 * (a provider without `sub`, `id` or `login`).
 */
export async function resolveRoles(
  userId: string,
  userInfo: UserInfo,
  options: ResolveRolesOptions,
): Promise<string[]> {
  const roles = new Set(options.defaultRoles);
  const email = typeof userInfo.email === 'string' ? userInfo.email.toLowerCase() : undefined;
  const emailVerified = userInfo.email_verified === true;
  // The user id is the email when nothing else identifies the user.
  const idIsEmail = userIdFromUserInfo({ ...userInfo, email: undefined }) === 'default';
  const idCounts = !idIsEmail || emailVerified;
  for (const admin of options.adminUsers) {
    if (
      (idCounts && admin === userId) ||
      (emailVerified && email !== undefined && admin.toLowerCase() === email)
    ) {
      roles.add('admin');
    }
  }
  if (options.rolesFromClaims) {
    const mapped = await options.rolesFromClaims(userInfo);
    for (const role of mapped) if (typeof role === 'string' && role.length > 0) roles.add(role);
  }
  return [...roles];
}
