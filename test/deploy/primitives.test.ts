import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddress } from '../../src/deploy/client-ip.js';
import {
  readCookie,
  readCookieOnce,
  readSingleCookie,
  serializeCookie,
} from '../../src/deploy/cookies.js';
import { randomId, timingSafeEqual, ValueSigner } from '../../src/deploy/crypto.js';
import { createAuthApp } from '../../src/deploy/index.js';
import { isSameOriginRequest } from '../../src/deploy/same-origin.js';
import { ConfigurationError } from '../../src/errors.js';
import type { AuthorizeUrlParams, OAuthProvider } from '../../src/providers/types.js';
import { SECRET } from './support/fixtures.js';

describe('signed cookie values', () => {
  const signer = new ValueSigner(SECRET);

  it('round-trips a value for its purpose only', async () => {
    const id = randomId();
    const signed = await signer.sign('session', id);
    assert.equal(await signer.verify('session', signed), id);
    assert.equal(
      await signer.verify('login-binding', signed),
      undefined,
      'wrong purpose must fail',
    );
  });

  it('answers synchronously only for texts verified before, per purpose', async () => {
    const fresh = new ValueSigner(SECRET);
    const signed = await fresh.sign('session', randomId());
    assert.equal(fresh.verifiedBefore('session', signed), undefined, 'not verified yet');
    const id = await fresh.verify('session', signed);
    assert.equal(fresh.verifiedBefore('session', signed), id);
    assert.equal(fresh.verifiedBefore('login-binding', signed), undefined, 'wrong purpose');
    assert.equal(await fresh.verify('login-binding', signed), undefined, 'wrong purpose');
    const flipped = `${signed.slice(0, -2)}${signed.at(-2) === 'A' ? 'B' : 'A'}${signed.at(-1)}`;
    assert.equal(await fresh.verify('session', flipped), undefined);
    assert.equal(fresh.verifiedBefore('session', flipped), undefined, 'failures not remembered');
  });

  it('rejects tampered, foreign, truncated and oversized values', async () => {
    const id = randomId();
    const signed = await signer.sign('session', id);
    const flipped = `${signed.slice(0, 5)}${signed[5] === 'A' ? 'B' : 'A'}${signed.slice(6)}`;
    assert.equal(await signer.verify('session', flipped), undefined);
    const foreign = await new ValueSigner(`${SECRET}-other-app`).sign('session', id);
    assert.equal(await signer.verify('session', foreign), undefined);
    assert.equal(await signer.verify('session', id), undefined);
    assert.equal(await signer.verify('session', `${signed}.x`), undefined);
    assert.equal(await signer.verify('session', `${id}.${'A'.repeat(500)}`), undefined);
    assert.equal(await signer.verify('session', '.'), undefined);
    assert.equal(await signer.verify('session', `${id}.%%%`), undefined);
  });

  it('makes random ids of 256 bits', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    assert.equal(ids.size, 1000);
    assert.match([...ids][0] as string, /^[A-Za-z0-9_-]{43}$/);
  });

  it('compares bytes in full', () => {
    assert.equal(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), true);
    assert.equal(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])), false);
    assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
  });
});

describe('cookie parsing', () => {
  const request = (cookie: string) => new Request('http://127.0.0.1/', { headers: { cookie } });

  it('finds a cookie among others and treats duplicates as ambiguous', () => {
    assert.deepEqual(readCookie(request('a=1; sid=xyz; b=2'), 'sid'), ['xyz']);
    assert.equal(readSingleCookie(request('sid=1; sid=2'), 'sid'), undefined);
    assert.equal(readSingleCookie(request('sidx=1'), 'sid'), undefined);
    assert.equal(readSingleCookie(request('a=1;sid=xyz'), 'sid'), 'xyz');
    assert.equal(readSingleCookie(request(' sid = "xyz" ;b=2;'), 'sid'), 'xyz');
    assert.equal(readSingleCookie(request('a=1; b; sid=x=y'), 'sid'), 'x=y');
    assert.equal(readSingleCookie(request('xsid=1; sid'), 'sid'), undefined);
    assert.deepEqual(readCookie(request('sid=1; a=2; sid=3'), 'sid'), ['1', '3']);
    assert.equal(readCookieOnce(request('a; b; sid=1'), 'sid'), '1');
    assert.equal(readCookieOnce(request('sid=1; sid=1'), 'sid'), '1');
    assert.deepEqual(readCookieOnce(request('sid=1; sid=2; sid=1; sid=3'), 'sid'), ['1', '2', '3']);
    assert.equal(readCookieOnce(request('a=1; b'), 'sid'), undefined);
  });

  it('reads garbage without throwing, values as sent, and ignores oversized headers', () => {
    const cases: [string, string[]][] = [
      ['', []],
      [';;;', []],
      ['=', []],
      ['sid', []],
      ['sid=%E0%A4%A', ['%E0%A4%A']],
      ['\u00ff=\u00fe; sid=\u00e9', ['\u00e9']],
      [`sid=${'x'.repeat(20_000)}`, []],
      [`sid=1; pad=${'x'.repeat(20_000)}`, []],
    ];
    for (const [header, values] of cases) {
      assert.deepEqual(readCookie(request(header), 'sid'), values, header.slice(0, 20));
    }
  });

  it('serialises HttpOnly, SameSite and Secure', () => {
    const cookie = serializeCookie('sid', 'v', {
      path: '/',
      maxAge: 60,
      secure: true,
      sameSite: 'Lax',
    });
    assert.equal(cookie, 'sid=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure');
  });
});

describe('same-origin checks', () => {
  const allowed = new Set(['https://app.example.com']);
  const post = (headers: Record<string, string>) =>
    new Request('https://app.example.com/auth/logout', { method: 'POST', headers });

  it('accepts the app origin via Origin, Sec-Fetch-Site or Referer', () => {
    assert.equal(isSameOriginRequest(post({ origin: 'https://app.example.com' }), allowed), true);
    assert.equal(isSameOriginRequest(post({ 'sec-fetch-site': 'same-origin' }), allowed), true);
    assert.equal(
      isSameOriginRequest(post({ referer: 'https://app.example.com/page' }), allowed),
      true,
    );
  });

  it('accepts Origin: null only with Sec-Fetch-Site: same-origin (a form on a no-referrer page)', () => {
    const nullOrigin = (headers: Record<string, string>) => post({ origin: 'null', ...headers });
    assert.equal(
      isSameOriginRequest(nullOrigin({ 'sec-fetch-site': 'same-origin' }), allowed),
      true,
    );
    const refusals: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'none' },
      { referer: 'https://app.example.com/page' },
      { 'sec-fetch-site': 'same-origin', referer: 'https://evil.example/' },
    ];
    for (const headers of refusals) {
      assert.equal(
        isSameOriginRequest(nullOrigin(headers), allowed),
        false,
        JSON.stringify(headers),
      );
    }
  });

  it('reads the Referer origin exactly (no prefix tricks)', () => {
    for (const referer of [
      'https://app.example.com.evil.example/',
      'https://app.example.com@evil.example/',
      'https://app.example.com:444/',
      'http://app.example.com/',
      'https://app.example.comx/',
    ]) {
      assert.equal(isSameOriginRequest(post({ referer }), allowed), false, referer);
    }
    assert.equal(isSameOriginRequest(post({ referer: 'https://app.example.com' }), allowed), true);
  });

  it('rejects foreign, null and missing origins (fails closed)', () => {
    assert.equal(isSameOriginRequest(post({ origin: 'https://evil.example' }), allowed), false);
    assert.equal(isSameOriginRequest(post({ origin: 'null' }), allowed), false);
    assert.equal(isSameOriginRequest(post({ 'sec-fetch-site': 'cross-site' }), allowed), false);
    assert.equal(isSameOriginRequest(post({ 'sec-fetch-site': 'same-site' }), allowed), false);
    assert.equal(isSameOriginRequest(post({ referer: 'https://evil.example/' }), allowed), false);
    assert.equal(isSameOriginRequest(post({ referer: 'not a url' }), allowed), false);
    assert.equal(isSameOriginRequest(post({}), allowed), false);
  });
});

describe('createAuthApp refuses unsafe settings', () => {
  const provider = {
    name: 'test',
    clientId: 'c',
    scopes: ['openid'],
    isOidc: true,
    buildAuthorizeUrl: async () => new URL('https://idp.example/authorize'),
    exchangeCode: async () => {
      throw new Error('unused');
    },
    refreshTokens: async () => {
      throw new Error('unused');
    },
    getUserInfo: async () => ({}),
    revokeToken: async () => false,
  } satisfies OAuthProvider;
  const ok = { provider, secret: SECRET, baseUrl: 'https://app.example.com' };

  const cases: Record<string, Record<string, unknown>> = {
    'a missing provider': { provider: undefined },
    'a short secret': { secret: 'short' },
    'a placeholder secret': { secret: 'a'.repeat(40) },
    'a missing baseUrl': { baseUrl: undefined },
    'a baseUrl with a path': { baseUrl: 'https://app.example.com/app' },
    'a non-http baseUrl': { baseUrl: 'ftp://app.example.com' },
    'plain http on a public host': { baseUrl: 'http://app.example.com' },
    'a basePath with a trailing slash': { basePath: '/auth/' },
    'a cookie name with spaces': { cookieName: 'my session' },
    'a zero session TTL': { sessionTtl: 0 },
    'an absolute afterLoginPath': { afterLoginPath: 'https://evil.example' },
    'a protocol-relative afterLoginPath': { afterLoginPath: '//evil.example' },
    'a bad trusted origin': { trustedOrigins: ['not a url'] },
    'a bad redis URL': { redis: 'http://127.0.0.1:6379' },
    'a bad rate limit': { loginRateLimit: { max: 0, windowSeconds: 60 } },
    'a __Host- cookie on http': { baseUrl: 'http://127.0.0.1:3000', cookieName: '__Host-session' },
  };
  for (const [name, override] of Object.entries(cases)) {
    it(`refuses ${name}`, () => {
      assert.throws(() => createAuthApp({ ...ok, ...override } as never), ConfigurationError);
    });
  }

  it('accepts safe settings, including http on loopback, and signs in at the URLs they give', async () => {
    const accepted: [Record<string, unknown>, string, boolean][] = [
      [{}, 'https://app.example.com/auth/callback', true],
      [{ baseUrl: 'http://127.0.0.1:3000' }, 'http://127.0.0.1:3000/auth/callback', false],
      [
        { baseUrl: 'http://app.internal', allowInsecureHttp: true, basePath: '/sso' },
        'http://app.internal/sso/callback',
        false,
      ],
    ];
    for (const [override, redirectUri, secure] of accepted) {
      const asked: AuthorizeUrlParams[] = [];
      const auth = createAuthApp({
        ...ok,
        ...override,
        provider: {
          ...provider,
          buildAuthorizeUrl: async (params) => {
            asked.push(params);
            return new URL('https://idp.example/authorize');
          },
        },
      });
      try {
        const origin = new URL(redirectUri).origin;
        const loginPath = new URL(redirectUri).pathname.replace(/callback$/, 'login');
        assert.equal(auth.loginPath, loginPath);
        const response = await auth.fetch(new Request(`${origin}${loginPath}`), {
          remoteAddress: '127.0.0.1',
        });
        assert.equal(response.status, 302, redirectUri);
        assert.equal(response.headers.get('location'), 'https://idp.example/authorize');
        assert.deepEqual(
          asked.map((params) => params.redirectUri),
          [redirectUri],
        );
        const cookie = response.headers.get('set-cookie') ?? '';
        assert.match(cookie, /HttpOnly/i);
        assert.equal(
          /;\s*Secure/i.test(cookie),
          secure,
          `Secure cookie only over https: ${redirectUri}`,
        );
      } finally {
        await auth.close();
      }
    }
  });
});

describe('client addresses', () => {
  const request = new Request('http://127.0.0.1/', {
    headers: { 'x-forwarded-for': '1.1.1.1, 2.2.2.2' },
  });

  it('reads the address each runtime passes, X-Forwarded-For only when trusted', () => {
    assert.equal(clientAddress(request, { remoteAddress: '10.0.0.1' }, false), '10.0.0.1');
    assert.equal(
      clientAddress(request, { incoming: { socket: { remoteAddress: '::1' } } }, false),
      '::1',
    );
    assert.equal(
      clientAddress(request, { remoteAddr: { hostname: '10.0.0.2', port: 1 } }, false),
      '10.0.0.2',
    );
    const bun = {
      address: '10.0.0.3',
      requestIP(this: { address: string }, _: Request) {
        return { address: this.address };
      },
    };
    assert.equal(clientAddress(request, bun, false), '10.0.0.3');
    assert.equal(clientAddress(request, { remoteAddress: '10.0.0.1' }, true), '2.2.2.2');
    assert.equal(clientAddress(request, undefined, false), undefined);
    // An app's function that answers null (headers.get) means "unknown", not a crash.
    assert.equal(
      clientAddress(request, undefined, false, () => null as unknown as string),
      undefined,
    );
    assert.equal(
      clientAddress(request, { remoteAddress: '10.0.0.1' }, true, () => '9.9.9.9'),
      '9.9.9.9',
    );
  });
});
