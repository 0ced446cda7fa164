/**
 * The error policy as a table: each cause, raised by the real openid-client / oauth4webapi
 * (driven against a tiny hostile server on loopback) or by authflow's fetch guard, mapped for
 * each provider operation to the class and code the caller sees.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import {
  AuthenticationError,
  AuthFlowCancelled,
  AuthFlowTimeout,
  ConfigurationError,
  ErrorCodes,
  TokenError,
  TokenRefreshError,
} from '../../src/errors.js';
import { type ProviderOperation, toAuthflowError } from '../../src/providers/error-policy.js';
import { createProviderFetch, runProviderCall } from '../../src/providers/http.js';
import { OAUTH_CODES } from '../../src/providers/recognize-error.js';

type Reply = { status: number; type?: string; body?: string; headers?: Record<string, string> };

/** Path → reply; `hang` never answers. */
const routes = new Map<string, Reply | 'hang'>();
let server: Server;
let base: string;
const hanging = new Set<import('node:http').ServerResponse>();

before(async () => {
  server = createServer((request, response) => {
    request.resume();
    const reply = routes.get(new URL(request.url ?? '/', 'http://x').pathname);
    if (reply === 'hang') {
      hanging.add(response);
      return;
    }
    if (reply === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(reply.status, {
      ...(reply.type ? { 'content-type': reply.type } : {}),
      ...reply.headers,
    });
    response.end(reply.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const response of hanging) response.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A token value that must never reach a message. */
const SECRET = 'at-SECRET-never-shown';

const json = (status: number, value: unknown): Reply => ({
  status,
  type: 'application/json',
  body: JSON.stringify(value),
});

function configuration(metadata: Partial<client.ServerMetadata> = {}): client.Configuration {
  const config = new client.Configuration(
    {
      issuer: base,
      token_endpoint: `${base}/token`,
      userinfo_endpoint: `${base}/userinfo`,
      revocation_endpoint: `${base}/revoke`,
      authorization_endpoint: `${base}/authorize`,
      ...metadata,
    },
    'client',
    undefined,
    client.None(),
  );
  config[client.customFetch] = createProviderFetch();
  config.timeout = 1;
  client.allowInsecureRequests(config);
  return config;
}

/** The error `run` rejects with. */
async function raised(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

/** Refreshes against a token endpoint answering `reply`. */
function refreshAnswered(reply: Reply | 'hang'): Promise<unknown> {
  routes.set('/token', reply);
  return raised(() => client.refreshTokenGrant(configuration(), 'rt'));
}

/** Builds every cause once, from the libraries themselves. */
async function buildCauses(): Promise<Record<string, unknown>> {
  const id = (header: string) =>
    `${Buffer.from(header).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.sig`;
  return {
    'network failure': await raised(() =>
      client.refreshTokenGrant(configuration({ token_endpoint: 'http://127.0.0.1:1/token' }), 'rt'),
    ),
    timeout: await refreshAnswered('hang'),
    'body announced as JSON, not JSON': await refreshAnswered({
      status: 200,
      type: 'application/json',
      body: 'not json',
    }),
    'top-level array': await refreshAnswered(json(200, [{ access_token: SECRET }])),
    'HTML with 200': await refreshAnswered({ status: 200, type: 'text/html', body: '<p>hi</p>' }),
    'oversized body': await refreshAnswered({
      status: 200,
      type: 'application/json',
      body: 'x'.repeat(1024 * 1024 + 1),
    }),
    'OAuth error invalid_grant': await refreshAnswered(json(400, { error: 'invalid_grant' })),
    'OAuth error expired_token': await refreshAnswered(json(400, { error: 'expired_token' })),
    'bare 400': await refreshAnswered({ status: 400, type: 'text/plain', body: '' }),
    '503 with HTML': await refreshAnswered({ status: 503, type: 'text/html', body: '<h1>x</h1>' }),
    'token response without access_token': await refreshAnswered(
      json(200, { token_type: 'bearer' }),
    ),
    'unsupported token_type': await refreshAnswered(
      json(200, { access_token: SECRET, token_type: 'mac' }),
    ),
    'ID token header not JSON': await refreshAnswered(
      json(200, { access_token: SECRET, token_type: 'bearer', id_token: id('not json') }),
    ),
    'WWW-Authenticate challenge': await (async () => {
      routes.set('/userinfo', {
        status: 401,
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      });
      return raised(() => client.fetchUserInfo(configuration(), 'at', client.skipSubjectCheck));
    })(),
    'authorization response error=': await raised(() =>
      client.authorizationCodeGrant(
        configuration(),
        new URL(`${base}/cb?error=access_denied&state=s`),
        { expectedState: 's' },
      ),
    ),
    'state mismatch': await raised(() =>
      client.authorizationCodeGrant(configuration(), new URL(`${base}/cb?code=c&state=evil`), {
        expectedState: 's',
      }),
    ),
    'issuer mismatch in metadata': await (async () => {
      routes.set('/.well-known/openid-configuration', json(200, { issuer: 'https://evil.test' }));
      return raised(() =>
        client.discovery(new URL(base), 'client', undefined, client.None(), {
          execute: [client.allowInsecureRequests],
          [client.customFetch]: createProviderFetch(),
        }),
      );
    })(),
    'device response with a bad expires_in': await (async () => {
      routes.set(
        '/device',
        json(200, { device_code: 'd', user_code: 'u', verification_uri: base, expires_in: 'soon' }),
      );
      return raised(() =>
        client.initiateDeviceAuthorization(
          configuration({ device_authorization_endpoint: `${base}/device` }),
          {},
        ),
      );
    })(),
    'endpoint missing from metadata': await raised(() =>
      client.initiateDeviceAuthorization(configuration(), {}),
    ),
    'plain http to a public host': await raised(() =>
      createProviderFetch()('http://example.com/token', { method: 'GET' } as never),
    ),
    aborted: await (async () => {
      routes.set('/token', 'hang');
      // The caller's signal reaches the fetch guard through runProviderCall.
      return raised(() =>
        runProviderCall(AbortSignal.abort(), () => client.refreshTokenGrant(configuration(), 'rt')),
      );
    })(),
    "authflow's own malformed token set": new TokenError('The token response is malformed.', {
      provider: 'test',
    }),
  };
}

type Expected = readonly [abstract new (...args: never[]) => AuthenticationError, string];
const A = AuthenticationError;
const C = ConfigurationError;
const R = TokenRefreshError;
const T = TokenError;
const E = ErrorCodes;

/** cause → operation → [class, code]. An operation left out is not asserted for that cause. */
const TABLE: Record<string, Partial<Record<ProviderOperation, Expected>>> = {
  'network failure': {
    discovery: [A, E.PROVIDER_UNAVAILABLE],
    exchange: [A, E.PROVIDER_UNAVAILABLE],
    refresh: [R, E.REFRESH_FAILED],
    userinfo: [A, E.PROVIDER_UNAVAILABLE],
    revoke: [A, E.PROVIDER_UNAVAILABLE],
    device: [A, E.PROVIDER_UNAVAILABLE],
    poll: [A, E.PROVIDER_UNAVAILABLE],
  },
  timeout: {
    discovery: [A, E.PROVIDER_UNAVAILABLE],
    exchange: [A, E.PROVIDER_UNAVAILABLE],
    refresh: [R, E.REFRESH_FAILED],
    poll: [A, E.PROVIDER_UNAVAILABLE],
  },
  'body announced as JSON, not JSON': {
    discovery: [A, E.DISCOVERY_FAILED],
    exchange: [A, E.PROVIDER_UNAVAILABLE],
    refresh: [R, E.REFRESH_FAILED],
    userinfo: [A, E.PROVIDER_UNAVAILABLE],
    device: [A, E.PROVIDER_UNAVAILABLE],
  },
  'top-level array': {
    discovery: [A, E.DISCOVERY_FAILED],
    exchange: [A, E.PROVIDER_UNAVAILABLE],
    refresh: [R, E.REFRESH_FAILED],
  },
  'HTML with 200': {
    discovery: [A, E.DISCOVERY_FAILED],
    exchange: [A, E.PROVIDER_UNAVAILABLE],
    refresh: [R, E.REFRESH_FAILED],
  },
  'oversized body': {
    discovery: [A, E.DISCOVERY_FAILED],
    exchange: [A, E.PROVIDER_UNAVAILABLE],
    refresh: [R, E.REFRESH_FAILED],
  },
  'OAuth error invalid_grant': {
    discovery: [A, E.DISCOVERY_FAILED],
    authorize: [A, E.AUTHENTICATION_FAILED],
    exchange: [A, E.EXCHANGE_FAILED],
    refresh: [R, E.REAUTH_REQUIRED],
    userinfo: [T, E.TOKEN_ERROR],
    revoke: [A, E.PROVIDER_ERROR],
    device: [A, E.PROVIDER_ERROR],
    poll: [A, E.PROVIDER_ERROR],
  },
  'OAuth error expired_token': {
    refresh: [R, E.REFRESH_FAILED],
    poll: [AuthFlowTimeout, E.TIMEOUT],
  },
  'bare 400': {
    discovery: [A, E.DISCOVERY_FAILED],
    exchange: [A, E.EXCHANGE_FAILED],
    refresh: [R, E.REAUTH_REQUIRED],
    userinfo: [A, E.PROVIDER_UNAVAILABLE],
    revoke: [A, E.PROVIDER_ERROR],
    device: [A, E.PROVIDER_ERROR],
  },
  '503 with HTML': {
    discovery: [A, E.DISCOVERY_FAILED],
    exchange: [A, E.PROVIDER_UNAVAILABLE],
    refresh: [R, E.REFRESH_FAILED],
    userinfo: [A, E.PROVIDER_UNAVAILABLE],
    revoke: [A, E.PROVIDER_UNAVAILABLE],
    device: [A, E.PROVIDER_UNAVAILABLE],
  },
  'token response without access_token': {
    exchange: [A, E.EXCHANGE_FAILED],
    refresh: [R, E.REFRESH_FAILED],
    poll: [A, E.PROVIDER_UNAVAILABLE],
  },
  'unsupported token_type': {
    exchange: [A, E.EXCHANGE_FAILED],
    refresh: [R, E.REFRESH_FAILED],
  },
  'ID token header not JSON': {
    exchange: [A, E.VALIDATION_FAILED],
    refresh: [R, E.REFRESH_FAILED],
    userinfo: [A, E.VALIDATION_FAILED],
    poll: [A, E.VALIDATION_FAILED],
  },
  'WWW-Authenticate challenge': {
    userinfo: [T, E.TOKEN_ERROR],
    refresh: [R, E.REFRESH_FAILED],
  },
  'authorization response error=': {
    exchange: [A, E.PROVIDER_ERROR],
    refresh: [R, E.REFRESH_FAILED],
  },
  'state mismatch': {
    exchange: [A, E.VALIDATION_FAILED],
    refresh: [R, E.REFRESH_FAILED],
  },
  'issuer mismatch in metadata': {
    discovery: [A, E.DISCOVERY_FAILED],
  },
  'device response with a bad expires_in': {
    device: [A, E.VALIDATION_FAILED],
  },
  'endpoint missing from metadata': {
    discovery: [A, E.DISCOVERY_FAILED],
    authorize: [C, E.INVALID_CONFIGURATION],
    userinfo: [C, E.INVALID_CONFIGURATION],
    device: [A, E.PROVIDER_UNAVAILABLE],
  },
  'plain http to a public host': {
    discovery: [C, E.INVALID_CONFIGURATION],
    exchange: [C, E.INVALID_CONFIGURATION],
    refresh: [R, E.REFRESH_FAILED],
  },
  aborted: {
    discovery: [AuthFlowCancelled, E.CANCELLED],
    exchange: [AuthFlowCancelled, E.CANCELLED],
    refresh: [AuthFlowCancelled, E.CANCELLED],
  },
  "authflow's own malformed token set": {
    exchange: [A, E.EXCHANGE_FAILED],
    poll: [A, E.EXCHANGE_FAILED],
    refresh: [R, E.REFRESH_FAILED],
    userinfo: [T, E.TOKEN_ERROR],
  },
};

const context = { provider: 'test', timeoutSeconds: 1 };

describe('error policy: cause × operation → class and code', () => {
  let causes: Record<string, unknown>;
  before(async () => {
    causes = await buildCauses();
  });

  it('every cause of the table was raised by the libraries', () => {
    assert.deepEqual(Object.keys(causes).sort(), Object.keys(TABLE).sort());
    for (const [name, cause] of Object.entries(causes)) {
      assert.ok(cause instanceof Error, `${name}: ${String(cause)}`);
    }
  });

  for (const [cause, row] of Object.entries(TABLE)) {
    it(cause, () => {
      for (const [operation, [Class, code]] of Object.entries(row) as [
        ProviderOperation,
        Expected,
      ][]) {
        const error = toAuthflowError(causes[cause], operation, context);
        const where = `${cause} × ${operation}: ${error.name} ${error.code} (${error.message})`;
        assert.equal(error.constructor, Class, where);
        assert.equal(error.code, code, where);
        assert.equal(error.provider, 'test', where);
      }
    });
  }

  it('an exact class, not a subclass: nothing in the table maps to the wrong level', () => {
    const error = toAuthflowError(causes['bare 400'], 'exchange', context);
    assert.equal(error instanceof TokenError, false);
  });

  it('messages and causes carry no response body', () => {
    for (const cause of Object.values(causes)) {
      for (const operation of ['exchange', 'refresh', 'userinfo'] as const) {
        const error = toAuthflowError(cause, operation, context);
        for (const text of [error.message, String((error as { cause?: unknown }).cause)]) {
          assert.doesNotMatch(text, /<h1>|<p>|xxxxxxxx|SECRET/);
        }
      }
    }
  });

  it('refresh reauth errors are the configured ones', () => {
    const custom = { ...context, reauthErrors: ['expired_token'] };
    const error = toAuthflowError(causes['OAuth error expired_token'], 'refresh', custom);
    assert.equal(error.code, E.REAUTH_REQUIRED);
    assert.equal(error.providerError, 'expired_token');
  });

  it('a failure while discovering keeps the operation class (refresh stays a refresh)', () => {
    const error = toAuthflowError(causes['issuer mismatch in metadata'], 'refresh', {
      ...context,
      discovering: true,
    });
    assert.equal(error.constructor, TokenRefreshError);
    assert.equal(error.code, E.REFRESH_FAILED);
    assert.match(error.message, /issuer/);
  });

  it('a poll ends in AuthFlowTimeout carrying the device code lifetime, on expired_token or expiry', () => {
    const expired = toAuthflowError(causes['OAuth error expired_token'], 'poll', {
      ...context,
      deviceExpiresIn: 900,
    });
    assert.ok(expired instanceof AuthFlowTimeout);
    assert.equal(expired.timeout, 900);
    const expiry = AbortSignal.abort();
    const late = toAuthflowError(causes.timeout, 'poll', {
      ...context,
      deviceExpiresIn: 600,
      deviceExpiry: expiry,
    });
    assert.ok(late instanceof AuthFlowTimeout);
    assert.equal(late.timeout, 600);
  });

  it("once the caller's signal aborted, any failure of a poll is a cancellation", () => {
    for (const cause of Object.values(causes)) {
      const error = toAuthflowError(cause, 'poll', { ...context, signal: AbortSignal.abort() });
      assert.equal(error.constructor, AuthFlowCancelled);
      assert.equal(error.code, E.CANCELLED);
    }
  });

  it("authflow's own errors pass through unchanged outside refresh and poll", () => {
    const own = new ConfigurationError('bad');
    for (const operation of ['discovery', 'authorize', 'exchange', 'userinfo'] as const) {
      assert.equal(toAuthflowError(own, operation, context), own);
    }
  });
});

describe('recognition keys', () => {
  it("the codes recognised are oauth4webapi's exported constants (an upgrade that renames one fails here)", () => {
    const exported = oauth as unknown as Record<string, unknown>;
    const { ABORT, TIMEOUT, ...fromOauth } = OAUTH_CODES;
    for (const [name, value] of Object.entries(fromOauth)) {
      assert.equal(exported[name], value, name);
    }
    assert.deepEqual([ABORT, TIMEOUT], ['OAUTH_ABORT', 'OAUTH_TIMEOUT']);
  });
});
