/**
 * A scriptable OpenID provider on 127.0.0.1 for tests that need a provider to lie.
 *
 * It serves discovery, JWKS, authorize (auto-approving), token, userinfo, revocation,
 * introspection and device endpoints with correct default answers, signs ID tokens with keys
 * it generates (RS256 and ES256, published in its JWKS, plus a foreign RS256 key that is not),
 * and records every request. A test bends it by:
 *
 * - `issueCode({ idToken, tokenResponse, ... })`: a code whose token response carries the
 *   given ID token claims/algorithm/key and token fields (e.g. `alg: 'none'`, `claims: { aud:
 *   'someone-else' }`, `tokenResponse: { token_type: 'mac' }`);
 * - `override(route, handler)`: answer a route itself (HTML, arrays, hangs, wrong statuses);
 * - mutating `metadata` and `jwks` in place.
 *
 * `requests` (and `requestsTo(route)`) let a test assert which requests were, or were not, made.
 *
 * @example
 * ```ts
 * const op = await startHostileProvider();
 * t.after(() => op.close());
 * const code = op.issueCode({ nonce, idToken: { claims: { aud: 'other' } } });
 * // ... exchange `code` and expect a validation error
 * ```
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';

/** The endpoints it serves. */
export type HostileRoute =
  | 'discovery'
  | 'jwks'
  | 'authorize'
  | 'token'
  | 'userinfo'
  | 'revocation'
  | 'introspection'
  | 'device'
  | 'end_session';

/** One request the provider received. */
export interface RecordedRequest {
  /** Which endpoint it hit (`undefined` for unknown paths, answered 404). */
  route: HostileRoute | undefined;
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  /** Header names lower-cased. */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body. */
  body: string;
  /** The body parsed as a form, for `application/x-www-form-urlencoded` requests. */
  form?: URLSearchParams;
}

/** A scripted answer. */
export interface HostileReply {
  /** HTTP status. Default 200. */
  status?: number;
  /** Response headers. `content-type` defaults to JSON for object bodies. */
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON (arrays and `null` included). */
  body?: unknown;
  /** Full control over the response (hang, trickle, reset...). Other fields are ignored. */
  raw?: (res: ServerResponse) => void;
}

/** Answers a route instead of the default; return `undefined` to fall back to the default. */
export type HostileHandler = (
  request: RecordedRequest,
) => HostileReply | undefined | Promise<HostileReply | undefined>;

/** How to make an ID token. */
export interface IdTokenSpec {
  /** Claims merged over the defaults; a claim set to `undefined` is removed. */
  claims?: Record<string, unknown>;
  /** Signing algorithm. Default the provider's `signingAlg`. `none` makes an unsecured JWT. */
  alg?: 'RS256' | 'ES256' | 'HS256' | 'none';
  /** Which key signs: the published ones, or `foreign` (an RSA key not in the JWKS). */
  key?: 'rsa' | 'ec' | 'foreign';
  /** HS256 secret. Default the client id (a guessable one, as attackers would try). */
  hmacSecret?: string;
  /** `kid` header; `null` leaves it out. Default the signing key's kid. */
  kid?: string | null;
  /** Extra protected header parameters. */
  header?: Record<string, unknown>;
  /** Use this exact string as the ID token (malformed JWTs). */
  raw?: string;
}

/** What a code (or refresh) grants. */
export interface GrantSpec {
  /** Subject. Default `user-1`. */
  sub?: string;
  /** Nonce put in the ID token. */
  nonce?: string;
  /** Granted scope. Default `openid email profile`. */
  scope?: string;
  /** PKCE challenge (S256) the code verifier must match. */
  codeChallenge?: string;
  /** The ID token to return; `false` for none. Default a valid one when the scope has `openid`. */
  idToken?: IdTokenSpec | false;
  /** Fields merged over the token response (e.g. `{ token_type: 'mac' }`); `undefined` removes one. */
  tokenResponse?: Record<string, unknown>;
  /** Claims the userinfo endpoint returns for this grant's access token (merged over `{ sub }`). */
  userinfo?: Record<string, unknown>;
}

/** Options of {@link startHostileProvider}. */
export interface HostileProviderOptions {
  /** Client id it expects. Default `hostile-client`. */
  clientId?: string;
  /** When set, the token endpoint requires this secret (Basic or post). */
  clientSecret?: string;
  /** Path of the issuer under the origin, e.g. `/common/v2.0`. Default none. */
  issuerPath?: string;
  /** The issuer identifier announced, when it is not `publicOrigin + issuerPath` (templates). */
  issuer?: string;
  /**
   * Origin written into the metadata's endpoint URLs, when tests reach the provider through
   * a rewriting fetch (e.g. `https://login.microsoftonline.com`). Default its own origin.
   */
  publicOrigin?: string;
  /** Default ID token algorithm. Default `RS256`. */
  signingAlg?: 'RS256' | 'ES256';
  /** Polls answered `authorization_pending` before a device grant completes. Default 1. */
  devicePendingPolls?: number;
  /** Device flow polling interval announced, in seconds. Default 1. */
  deviceInterval?: number;
}

/** A running hostile provider. */
export interface HostileProvider {
  /** Its real origin, `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The issuer identifier it announces (and puts in ID tokens by default). */
  readonly issuer: string;
  /** The URL to discover it with (`issuer` unless it is a template). */
  readonly discoveryUrl: string;
  readonly clientId: string;
  /** Discovery document served; mutate it to bend discovery. */
  readonly metadata: Record<string, unknown>;
  /** JWKS served; mutate `keys` to bend it. */
  readonly jwks: { keys: JWK[] };
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Requests to one route. */
  requestsTo(route: HostileRoute): RecordedRequest[];
  /** Answers `route` with `handler` until replaced or cleared with `null`. */
  override(route: HostileRoute, handler: HostileHandler | null): void;
  /** Registers a grant and returns its one-time authorization code. */
  issueCode(grant?: GrantSpec): string;
  /** Registers a refresh token for a grant (for refresh tests without a code exchange). */
  issueRefreshToken(grant?: GrantSpec): string;
  /** Signs an ID token; claims default to a valid token for this provider and client. */
  signIdToken(spec?: IdTokenSpec, grant?: GrantSpec): Promise<string>;
  /** Whether a token (access or refresh) was revoked at the revocation endpoint. */
  isRevoked(token: string): boolean;
  /** Stops the server and closes every connection. Idempotent. */
  close(): Promise<void>;
}

interface StoredGrant extends GrantSpec {
  sub: string;
  scope: string;
}

interface DeviceGrant {
  grant: StoredGrant;
  pending: number;
}

const MAX_BODY = 1024 * 1024;

/**
 * Asserts that `text` carries none of the hostile provider's tokens, codes or JWTs (its access
 * and refresh tokens, codes and device codes are `at-`, `rt-`, `code-` and `dc-` followed by
 * random characters): for error messages, causes and pages a user or web client sees.
 */
export function assertNoSecrets(text: string): void {
  assert.doesNotMatch(text, /\b(at|rt|code|dc)-[A-Za-z0-9_-]{16,}/, `secret in: ${text}`);
  assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}/, `JWT in: ${text}`);
}

/** Starts a hostile provider on 127.0.0.1 (random port). Close it in `after`/`t.after`. */
export async function startHostileProvider(
  options: HostileProviderOptions = {},
): Promise<HostileProvider> {
  const clientId = options.clientId ?? 'hostile-client';
  const signingAlg = options.signingAlg ?? 'RS256';
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const foreign = await generateKeyPair('RS256', { extractable: true });
  const jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ] as JWK[],
  };

  const codes = new Map<string, StoredGrant>();
  const accessTokens = new Map<string, StoredGrant>();
  const refreshTokens = new Map<string, StoredGrant>();
  const deviceCodes = new Map<string, DeviceGrant>();
  const revoked = new Set<string>();
  const overrides = new Map<HostileRoute, HostileHandler>();
  const requests: RecordedRequest[] = [];

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('hostile provider error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuerPath = options.issuerPath ?? '';
  const publicBase = `${options.publicOrigin ?? origin}${issuerPath}`;
  const issuer = options.issuer ?? publicBase;
  const discoveryUrl = options.issuer?.includes('{') ? publicBase : issuer;

  const metadata: Record<string, unknown> = {
    issuer,
    authorization_endpoint: `${publicBase}/authorize`,
    token_endpoint: `${publicBase}/token`,
    userinfo_endpoint: `${publicBase}/userinfo`,
    jwks_uri: `${publicBase}/jwks`,
    revocation_endpoint: `${publicBase}/revoke`,
    introspection_endpoint: `${publicBase}/introspect`,
    device_authorization_endpoint: `${publicBase}/device`,
    end_session_endpoint: `${publicBase}/logout`,
    response_types_supported: ['code'],
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: ['openid', 'email', 'profile', 'offline_access'],
  };

  const routeFor = (path: string): HostileRoute | undefined => {
    if (path === `${issuerPath}/.well-known/openid-configuration`) return 'discovery';
    const byField: [string, HostileRoute][] = [
      ['jwks_uri', 'jwks'],
      ['authorization_endpoint', 'authorize'],
      ['token_endpoint', 'token'],
      ['userinfo_endpoint', 'userinfo'],
      ['revocation_endpoint', 'revocation'],
      ['introspection_endpoint', 'introspection'],
      ['device_authorization_endpoint', 'device'],
      ['end_session_endpoint', 'end_session'],
    ];
    for (const [field, route] of byField) {
      const value = metadata[field];
      if (typeof value === 'string' && URL.parse(value)?.pathname === path) return route;
    }
    return undefined;
  };

  const random = () => randomBytes(24).toString('base64url');

  const storeGrant = (grant: GrantSpec = {}): StoredGrant => ({
    ...grant,
    sub: grant.sub ?? 'user-1',
    scope: grant.scope ?? 'openid email profile',
  });

  async function signIdToken(spec: IdTokenSpec = {}, grant: GrantSpec = {}): Promise<string> {
    if (spec.raw !== undefined) return spec.raw;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: issuer,
      sub: grant.sub ?? 'user-1',
      aud: clientId,
      iat: now,
      exp: now + 300,
      auth_time: now,
      ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    };
    for (const [key, value] of Object.entries(spec.claims ?? {})) {
      if (value === undefined) delete claims[key];
      else claims[key] = value;
    }
    const alg = spec.alg ?? (spec.key === 'ec' ? 'ES256' : signingAlg);
    if (alg === 'none') {
      return new UnsecuredJWT(claims as JWTPayload).encode();
    }
    const key =
      alg === 'HS256'
        ? new TextEncoder().encode(spec.hmacSecret ?? clientId)
        : spec.key === 'foreign'
          ? foreign.privateKey
          : alg === 'ES256'
            ? ec.privateKey
            : rsa.privateKey;
    const defaultKid = alg === 'HS256' ? undefined : alg === 'ES256' ? 'ec-1' : 'rsa-1';
    const kid = spec.kid === null ? undefined : (spec.kid ?? defaultKid);
    return new SignJWT(claims as JWTPayload)
      .setProtectedHeader({ ...spec.header, alg, ...(kid === undefined ? {} : { kid }) })
      .sign(key);
  }

  async function tokenResponse(
    grant: StoredGrant,
    withNonce: boolean,
  ): Promise<Record<string, unknown>> {
    const accessToken = `at-${random()}`;
    const refreshToken = `rt-${random()}`;
    accessTokens.set(accessToken, grant);
    refreshTokens.set(refreshToken, grant);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: refreshToken,
      scope: grant.scope,
    };
    if (grant.idToken !== false && grant.scope.split(' ').includes('openid')) {
      body.id_token = await signIdToken(grant.idToken || {}, {
        ...grant,
        nonce: withNonce ? grant.nonce : undefined,
      });
    }
    for (const [key, value] of Object.entries(grant.tokenResponse ?? {})) {
      if (value === undefined) delete body[key];
      else body[key] = value;
    }
    return body;
  }

  function clientAuthenticated(request: RecordedRequest): boolean {
    const header = request.headers.authorization;
    let id = request.form?.get('client_id') ?? undefined;
    let secret = request.form?.get('client_secret') ?? undefined;
    if (typeof header === 'string' && header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decodeURIComponent(decoded.slice(0, colon));
      secret = decodeURIComponent(decoded.slice(colon + 1));
    }
    if (id !== clientId) return false;
    return options.clientSecret === undefined || secret === options.clientSecret;
  }

  const oauthError = (status: number, error: string, description?: string): HostileReply => ({
    status,
    body: { error, ...(description ? { error_description: description } : {}) },
  });

  async function defaultReply(request: RecordedRequest): Promise<HostileReply> {
    switch (request.route) {
      case 'discovery':
        return { body: metadata };
      case 'jwks':
        return { body: jwks, headers: { 'content-type': 'application/jwk-set+json' } };
      case 'authorize': {
        const redirect = URL.parse(request.query.get('redirect_uri') ?? '');
        if (redirect === null) return { status: 400, body: 'bad redirect_uri' };
        const code = issueCode({
          nonce: request.query.get('nonce') ?? undefined,
          scope: request.query.get('scope') ?? undefined,
          codeChallenge: request.query.get('code_challenge') ?? undefined,
        });
        redirect.searchParams.set('code', code);
        const state = request.query.get('state');
        if (state !== null) redirect.searchParams.set('state', state);
        if (metadata.authorization_response_iss_parameter_supported === true) {
          redirect.searchParams.set('iss', issuer);
        }
        return { status: 302, headers: { location: redirect.href }, body: '' };
      }
      case 'token': {
        if (!clientAuthenticated(request)) return oauthError(401, 'invalid_client');
        const form = request.form ?? new URLSearchParams();
        switch (form.get('grant_type')) {
          case 'authorization_code': {
            const code = form.get('code') ?? '';
            const grant = codes.get(code);
            codes.delete(code);
            if (grant === undefined) return oauthError(400, 'invalid_grant', 'unknown code');
            if (grant.codeChallenge !== undefined) {
              const verifier = form.get('code_verifier') ?? '';
              const challenge = createHash('sha256').update(verifier).digest('base64url');
              if (challenge !== grant.codeChallenge) {
                return oauthError(400, 'invalid_grant', 'PKCE verification failed');
              }
            }
            return { body: await tokenResponse(grant, true) };
          }
          case 'refresh_token': {
            const token = form.get('refresh_token') ?? '';
            const grant = refreshTokens.get(token);
            if (grant === undefined || revoked.has(token)) {
              return oauthError(400, 'invalid_grant', 'refresh token is invalid');
            }
            refreshTokens.delete(token); // rotation
            return { body: await tokenResponse(grant, false) };
          }
          case 'urn:ietf:params:oauth:grant-type:device_code': {
            const device = deviceCodes.get(form.get('device_code') ?? '');
            if (device === undefined) return oauthError(400, 'invalid_grant');
            if (device.pending > 0) {
              device.pending -= 1;
              return oauthError(400, 'authorization_pending');
            }
            deviceCodes.delete(form.get('device_code') ?? '');
            return { body: await tokenResponse(device.grant, false) };
          }
          default:
            return oauthError(400, 'unsupported_grant_type');
        }
      }
      case 'userinfo': {
        const header = request.headers.authorization;
        const token =
          typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
        const grant = accessTokens.get(token);
        if (grant === undefined || revoked.has(token)) {
          return {
            status: 401,
            headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
            body: '',
          };
        }
        return { body: { sub: grant.sub, email: `${grant.sub}@example.test`, ...grant.userinfo } };
      }
      case 'revocation':
      case 'introspection': {
        if (!clientAuthenticated(request)) return oauthError(401, 'invalid_client');
        const token = request.form?.get('token') ?? '';
        if (request.route === 'revocation') {
          revoked.add(token);
          return { status: 200, body: '' };
        }
        const active = (accessTokens.has(token) || refreshTokens.has(token)) && !revoked.has(token);
        return { body: { active } };
      }
      case 'device': {
        const deviceCode = `dc-${random()}`;
        deviceCodes.set(deviceCode, {
          grant: storeGrant({ scope: request.form?.get('scope') ?? undefined }),
          pending: options.devicePendingPolls ?? 1,
        });
        return {
          body: {
            device_code: deviceCode,
            user_code: 'ABCD-EFGH',
            verification_uri: `${publicBase}/device-verify`,
            verification_uri_complete: `${publicBase}/device-verify?user_code=ABCD-EFGH`,
            expires_in: 600,
            interval: options.deviceInterval ?? 1,
          },
        };
      }
      case 'end_session':
        return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'signed out' };
      default:
        return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk);
    }
    const url = new URL(req.url ?? '/', origin);
    const body = Buffer.concat(chunks).toString('utf8');
    const contentType = req.headers['content-type'] ?? '';
    const request: RecordedRequest = {
      route: routeFor(url.pathname),
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: { ...req.headers },
      body,
      ...(contentType.startsWith('application/x-www-form-urlencoded')
        ? { form: new URLSearchParams(body) }
        : {}),
    };
    requests.push(request);
    const handler = request.route === undefined ? undefined : overrides.get(request.route);
    const reply = (await handler?.(request)) ?? (await defaultReply(request));
    if (reply.raw) {
      reply.raw(res);
      return;
    }
    const isText = typeof reply.body === 'string';
    const payload =
      reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, {
      'cache-control': 'no-store',
      ...(isText || reply.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...reply.headers,
    });
    res.end(payload);
  }

  function issueCode(grant: GrantSpec = {}): string {
    const code = `code-${random()}`;
    codes.set(code, storeGrant(grant));
    return code;
  }

  let closed: Promise<void> | undefined;
  return {
    origin,
    issuer,
    discoveryUrl,
    clientId,
    metadata,
    jwks,
    requests,
    requestsTo: (route) => requests.filter((request) => request.route === route),
    override(route, handler) {
      if (handler === null) overrides.delete(route);
      else overrides.set(route, handler);
    },
    issueCode,
    issueRefreshToken(grant = {}) {
      const token = `rt-${random()}`;
      refreshTokens.set(token, storeGrant(grant));
      return token;
    },
    signIdToken,
    isRevoked: (token) => revoked.has(token),
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/**
 * A fetch that sends every request to `origin` instead (same path and query), for playing a
 * provider whose real URLs (e.g. `https://login.microsoftonline.com/...`) a test cannot bind.
 * Pass it as a provider's `fetch` option.
 */
export function fetchVia(
  origin: string,
): (input: string | URL, init?: RequestInit) => Promise<Response> {
  return (input, init) => {
    const url = new URL(String(input));
    return fetch(`${origin}${url.pathname}${url.search}`, init);
  };
}
