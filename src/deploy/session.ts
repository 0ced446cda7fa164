/**
 * The server-side session of a signed-in user in deploy mode: a {@link UserSession} record
 * kept in the app's `SessionStore`, found through the signed random id in the browser's
 * session cookie. Its token set lives apart, in the app's `TokenStore` under the session id.
 *
 * Not the native `SessionManager` (`authflow`), whose "session" is one user's token set and
 * has no server-side record: see "Names" in ARCHITECTURE.md.
 *
 * @module
 */
import type { UserInfo } from '../providers/types.js';

/** A signed-in user's session, kept server-side; the browser holds only a signed random id. */
export interface UserSession {
  /** Random session id (256 bits, base64url). The cookie carries it, signed. */
  sessionId: string;
  /** The user's id at the provider (`sub`, `id`, `login` or `email`). */
  userId: string;
  /** Roles granted at sign-in (default roles, `admin` promotion, roles from claims). */
  roles: string[];
  /** When the session was created (epoch seconds). */
  createdAt: number;
  /** When the session ends (epoch seconds). */
  expiresAt: number;
  /** Extra data: `userInfo` (the provider's claims) and `provider` (its name). */
  metadata: SessionMetadata;
  /**
   * The provider's session id (`sid` of the ID token) at sign-in, when it sent one: a
   * back-channel logout naming it ends this session.
   */
  sid?: string;
  /**
   * When the session was last seen in use (epoch seconds), kept to within the touch interval
   * when `idleTimeout` is set.
   */
  lastActiveAt?: number;
}

/** What authflow keeps in {@link UserSession.metadata}. Apps may add their own fields. */
export interface SessionMetadata {
  /** The claims the provider returned for the user at sign-in. */
  userInfo?: UserInfo;
  /** The provider's name. */
  provider?: string;
  [key: string]: unknown;
}

/** Checks a value read back from a store; returns it typed, or `undefined` if it is not a session. */
export function parseUserSession(value: unknown): UserSession | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.sessionId !== 'string' || typeof v.userId !== 'string') return undefined;
  if (!Array.isArray(v.roles) || !v.roles.every((role) => typeof role === 'string'))
    return undefined;
  if (typeof v.createdAt !== 'number' || typeof v.expiresAt !== 'number') return undefined;
  if (typeof v.metadata !== 'object' || v.metadata === null || Array.isArray(v.metadata)) {
    return undefined;
  }
  if (v.sid !== undefined && typeof v.sid !== 'string') return undefined;
  if (v.lastActiveAt !== undefined && typeof v.lastActiveAt !== 'number') return undefined;
  return v as unknown as UserSession;
}

/** Freezes `value` and everything it holds (plain JSON data); returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
