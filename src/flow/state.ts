/**
 * Where a native sign-in stands ({@link AuthFlowState}) and what it ended with
 * ({@link AuthFlowResult}).
 *
 * @module
 */
import type { UserInfo } from '../providers/types.js';
import type { OAuthTokenSet } from '../tokens/token-set.js';

/** States of a sign-in flow. The values are the strings `'pending'`, `'in_progress'`, ... */
export const AuthFlowState = {
  /** No flow has run yet. */
  PENDING: 'pending',
  /** A flow is running: waiting for the user or exchanging the code. */
  IN_PROGRESS: 'in_progress',
  /** The last flow signed the user in. */
  COMPLETED: 'completed',
  /** The last flow failed (provider error, failed validation or exchange). */
  FAILED: 'failed',
  /** The last flow ran out of time. */
  TIMED_OUT: 'timed_out',
  /** The last flow was cancelled (cancel(), abort signal, window closed). */
  CANCELLED: 'cancelled',
} as const;

/** One of {@link AuthFlowState}'s values. */
export type AuthFlowState = (typeof AuthFlowState)[keyof typeof AuthFlowState];

/** The outcome of a sign-in flow. */
export interface AuthFlowResult {
  /** Whether the user is signed in. */
  success: boolean;
  /** The tokens, when `success`. */
  tokens?: OAuthTokenSet;
  /** What went wrong, when not `success`. */
  error?: string;
  /** The user's claims, when `success`. */
  userInfo?: UserInfo;
}
