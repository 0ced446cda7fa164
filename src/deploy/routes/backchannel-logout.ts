/**
 * `POST /auth/backchannel-logout`: OpenID Connect Back-Channel Logout 1.0. The provider posts
 * a `logout_token` when the user signs out there (or an admin ends the user's session); the
 * sessions it names end on every worker.
 *
 * @module
 */
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { AuthenticationError, ErrorCodes } from '../../errors.js';
import type { AuthContext } from '../context.js';
import { sha256 } from '../crypto.js';
import { errorResponse, json } from '../http.js';
import type { UserSession } from '../session.js';
import { endSessionList, listUserSessions, sessionsUnder, sidIndexKey } from '../user-sessions.js';

/** The `events` member that makes a JWT a logout token (spec §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Logout tokens issued longer ago than this are refused (seconds). */
export const LOGOUT_TOKEN_MAX_AGE = 120;
/** Clock difference tolerated with the provider (seconds). */
const CLOCK_TOLERANCE = 30;
/** Largest request body read (a logout token is a few hundred bytes). */
const MAX_BODY_BYTES = 16 * 1024;

type Jwks = ReturnType<typeof createRemoteJWKSet>;
/** The provider's key set per app, fetched on first use and cached by jose. */
const keySets = new WeakMap<AuthContext, { uri: string; jwks: Jwks }>();

/**
 * Validates the logout token as the specification requires (§2.6): signature against the
 * provider's JWKS (no `none`, no shared-secret algorithms), `iss`, `aud`, `iat` recent, `jti`
 * used once across every worker, the back-channel `events` member, `sid` and/or `sub`, no
 * `nonce`. Then ends the sessions it names and answers 200; any failure answers 400 and ends
 * nothing.
 */
export async function backchannelLogout(ctx: AuthContext, request: Request): Promise<Response> {
  const token = await logoutTokenFrom(request);
  if (token === undefined) {
    return refused('The request must be a form post with one logout_token.');
  }
  let claims: LogoutClaims;
  try {
    claims = await verifyLogoutToken(ctx, token);
  } catch (error) {
    ctx.report(error, 'backchannel-logout');
    return refused('The logout token is not valid.');
  }
  // After the signature check, so that forged tokens cannot use up a jti. A `SET NX` marker
  // (the store's lock) rather than a counter: when ending the sessions fails, the marker is
  // taken back, so the provider's retry of the same token is not refused as a replay.
  const { sessions } = await ctx.stores();
  const marker = `bcl-jti:${await sha256(`${claims.iss}\n${claims.jti}`)}`;
  const owner = await sessions.acquireLock(
    marker,
    (LOGOUT_TOKEN_MAX_AGE + 2 * CLOCK_TOLERANCE) * 1000,
  );
  if (owner === undefined) return refused('This logout token was already used.');
  try {
    const matching = await sessionsNamedBy(ctx, claims);
    await endSessionList(ctx, matching);
  } catch (error) {
    await sessions.releaseLock(marker, owner).catch(() => {});
    throw error;
  }
  return json({ success: true });
}

/** The claims of a valid logout token that authflow uses. */
export interface LogoutClaims {
  iss: string;
  jti: string;
  sub?: string;
  sid?: string;
}

/** Verifies `token` through jose; rejects with an `AuthenticationError` saying why. */
export async function verifyLogoutToken(ctx: AuthContext, token: string): Promise<LogoutClaims> {
  const { provider } = ctx.options;
  if (provider.serverMetadata === undefined) {
    throw invalid('the provider has no metadata (not OpenID Connect)');
  }
  const metadata = await provider.serverMetadata();
  if (typeof metadata.jwks_uri !== 'string') throw invalid('the provider publishes no JWKS');
  let keySet = keySets.get(ctx);
  if (keySet?.uri !== metadata.jwks_uri) {
    keySet = {
      uri: metadata.jwks_uri,
      jwks: createRemoteJWKSet(new URL(metadata.jwks_uri), {
        timeoutDuration: ctx.options.providerTimeoutMs,
      }),
    };
    keySets.set(ctx, keySet);
  }
  let payload: JWTPayload;
  let typ: string | undefined;
  try {
    const verified = await jwtVerify(token, keySet.jwks, {
      issuer: metadata.issuer,
      audience: provider.clientId,
      // Only the provider's asymmetric algorithms: never `none`, never HS* with a public key.
      algorithms: asymmetricAlgorithms(metadata.id_token_signing_alg_values_supported),
      maxTokenAge: LOGOUT_TOKEN_MAX_AGE,
      clockTolerance: CLOCK_TOLERANCE,
      requiredClaims: ['iat', 'jti', 'events'],
    });
    payload = verified.payload;
    typ = verified.protectedHeader.typ;
  } catch (cause) {
    // jose's message names the failed check; its payload (kept on the error) stays here.
    throw invalid(cause instanceof Error ? cause.message : 'signature or claims check failed');
  }
  // §2.4: `logout+jwt` when typed; an ID token or access token type is not a logout token.
  if (typ !== undefined && !/^(application\/)?(logout\+jwt|jwt)$/i.test(typ)) {
    throw invalid('wrong typ header');
  }
  const { events, sub, sid, jti, iss } = payload;
  const event =
    typeof events === 'object' && events !== null && !Array.isArray(events)
      ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
      : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw invalid('no back-channel logout event');
  }
  if (payload.nonce !== undefined) throw invalid('a logout token must not have a nonce');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw invalid('bad jti');
  if (sub !== undefined && (typeof sub !== 'string' || sub.length === 0)) throw invalid('bad sub');
  if (sid !== undefined && (typeof sid !== 'string' || sid.length === 0)) throw invalid('bad sid');
  if (sub === undefined && sid === undefined) throw invalid('neither sub nor sid');
  return { iss: iss as string, jti, sub, sid: sid as string | undefined };
}

/** The live sessions the claims name: by `sid` (and `sub` when both), else every one of `sub`. */
async function sessionsNamedBy(ctx: AuthContext, claims: LogoutClaims): Promise<UserSession[]> {
  if (claims.sid !== undefined) {
    const bySid = await sessionsUnder(ctx, sidIndexKey(claims.sid));
    return bySid.filter(
      (session) =>
        session.sid === claims.sid && (claims.sub === undefined || session.userId === claims.sub),
    );
  }
  return listUserSessions(ctx, claims.sub as string);
}

/** The single `logout_token` of a form post, or `undefined`. Reads at most MAX_BODY_BYTES. */
async function logoutTokenFrom(request: Request): Promise<string | undefined> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) return undefined;
  const body = await readBounded(request);
  if (body === undefined) return undefined;
  const tokens = new URLSearchParams(body).getAll('logout_token');
  return tokens.length === 1 && tokens[0] !== '' ? tokens[0] : undefined;
}

async function readBounded(request: Request): Promise<string | undefined> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES || request.body === null) return undefined;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^ES256K$|^EdDSA$|^Ed25519$/;

function asymmetricAlgorithms(supported: unknown): string[] {
  const listed = Array.isArray(supported)
    ? supported.filter((alg): alg is string => typeof alg === 'string' && ASYMMETRIC.test(alg))
    : [];
  return listed.length > 0 ? listed : ['RS256'];
}

function invalid(reason: string): AuthenticationError {
  return new AuthenticationError(`Back-channel logout token refused: ${reason}.`, {
    code: ErrorCodes.VALIDATION_FAILED,
  });
}

function refused(description: string): Response {
  return errorResponse(400, 'invalid_request', description);
}
