import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLoopbackHttpUrl, startDevProvider } from '../../src/dev/index.js';
import { escapeHtml } from '../../src/dev/pages.js';
import { authorizeStatus, useDevProvider } from '../helpers/dev-provider.js';

/** A tiny cookie-keeping HTTP client that does not follow redirects (no browser needed). */
function cookieClient() {
  const jar = new Map<string, string>();
  return async (url: string | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size)
      headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const index = pair.indexOf('=');
      jar.set(pair.slice(0, index), pair.slice(index + 1));
    }
    return response;
  };
}

describe('loopback redirect relaxation', () => {
  it('accepts http loopback URLs with any port and path only', () => {
    for (const url of [
      'http://127.0.0.1/cb',
      'http://127.0.0.1:8080/a/b?x=1',
      'http://localhost:1/',
      'http://[::1]:9/cb',
    ]) {
      assert.equal(isLoopbackHttpUrl(url), true, url);
    }
    for (const url of [
      'https://127.0.0.1/cb',
      'http://127.0.0.2/cb',
      'http://localhost.example.com/cb',
      'http://127.0.0.1.nip.io/cb',
      'http://user:pw@127.0.0.1/cb',
      'http://127.0.0.1/cb#frag',
      'javascript:alert(1)//127.0.0.1',
      'not a url',
    ]) {
      assert.equal(isLoopbackHttpUrl(url), false, url);
    }
  });

  it('is off with strictRedirectUris', async () => {
    const dev = await startDevProvider({ strictRedirectUris: true });
    try {
      // RFC 8252: any port for a registered loopback path (oidc-provider's own rule)...
      assert.equal(
        await authorizeStatus(dev.issuer, dev.clientId, 'http://127.0.0.1:4321/callback'),
        303,
      );
      // ...but not another path.
      assert.equal(
        await authorizeStatus(dev.issuer, dev.clientId, 'http://127.0.0.1:4321/elsewhere'),
        400,
      );
    } finally {
      await dev.close();
    }
  });
});

describe('development provider pages', () => {
  const dev = useDevProvider();

  it('escapes HTML', () => {
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });

  it('serves login and consent pages with security headers, escaping what the user typed', async () => {
    const http = cookieClient();
    const url = new URL('/auth', dev().issuer);
    url.search = new URLSearchParams({
      client_id: dev().clientId,
      redirect_uri: 'http://127.0.0.1:5555/callback',
      response_type: 'code',
      scope: 'openid profile',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const start = await http(url);
    assert.equal(start.status, 303);
    const interaction = new URL(start.headers.get('location') as string, dev().issuer);
    assert.match(interaction.pathname, /^\/interaction\/[\w-]+$/);

    const loginPage = await http(interaction);
    assert.equal(loginPage.status, 200);
    assert.match(loginPage.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(loginPage.headers.get('cache-control'), 'no-store');
    assert.equal(loginPage.headers.get('x-content-type-options'), 'nosniff');
    const loginHtml = await loginPage.text();
    assert.match(loginHtml, /id="authflow-login"/);
    assert.match(loginHtml, /name="login"/);

    const post = (path: string, body: Record<string, string>) =>
      http(new URL(path, dev().issuer), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const empty = await post(`${interaction.pathname}/login`, { login: '   ' });
    assert.equal(empty.status, 400);
    assert.match(await empty.text(), /data-error="invalid_login"/);

    const hostile = '<script>alert(1)</script>';
    const loggedIn = await post(`${interaction.pathname}/login`, {
      login: hostile,
      password: 'ignored',
    });
    assert.equal(loggedIn.status, 303);
    const resume = await http(new URL(loggedIn.headers.get('location') as string, dev().issuer));
    assert.equal(resume.status, 303);
    const consent = await http(new URL(resume.headers.get('location') as string, dev().issuer));
    const consentHtml = await consent.text();
    assert.match(consentHtml, /id="authflow-consent"/);
    assert.ok(consentHtml.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!consentHtml.includes(hostile));

    const wrongStep = await post(
      `${new URL(resume.headers.get('location') as string, dev().issuer).pathname}/login`,
      {
        login: 'mallory',
      },
    );
    assert.equal(wrongStep.status, 400, 'a login post at the consent step is refused');
  });

  it('answers a clear error for an unknown or foreign interaction', async () => {
    const response = await fetch(new URL('/interaction/not-a-real-uid', dev().issuer));
    assert.equal(response.status, 400);
    assert.match(await response.text(), /id="authflow-error"/);
  });
});

describe('startDevProvider options', () => {
  it('refuses invalid options and a taken port with clear messages', async () => {
    await assert.rejects(
      startDevProvider({ accessTokenTtl: 0 }),
      /accessTokenTtl must be a positive whole number/,
    );
    await assert.rejects(startDevProvider({ port: 70000 }), /port must be a whole number/);
    await assert.rejects(startDevProvider({ webClientSecret: 'short' }), /at least 16 characters/);
    const first = await startDevProvider();
    try {
      await assert.rejects(
        startDevProvider({ port: first.port }),
        new RegExp(`Port ${first.port} on 127.0.0.1 is taken`),
      );
    } finally {
      await first.close();
    }
  });

  it('adds and overrides clients', async () => {
    const dev = await startDevProvider({
      clients: [
        {
          client_id: 'authflow-native',
          token_endpoint_auth_method: 'none',
          application_type: 'native',
          redirect_uris: ['http://127.0.0.1/callback'],
          grant_types: ['authorization_code'],
        },
        {
          client_id: 'extra-app',
          client_secret: 'extra-app-secret-0123456789',
          redirect_uris: ['https://app.example/callback'],
          grant_types: ['authorization_code', 'refresh_token'],
        },
      ],
    });
    try {
      assert.equal(
        await authorizeStatus(dev.issuer, 'extra-app', 'https://app.example/callback'),
        303,
      );
      assert.equal(
        await authorizeStatus(dev.issuer, 'extra-app', 'http://localhost:3000/cb'),
        303,
        'loopback relaxation applies too',
      );
      assert.equal(await authorizeStatus(dev.issuer, 'nobody', 'http://localhost:3000/cb'), 400);
      const device = await fetch(new URL('/device/auth', dev.issuer), {
        method: 'POST',
        body: new URLSearchParams({ client_id: 'authflow-native', scope: 'openid' }),
      });
      assert.equal(device.status, 400);
      const body = (await device.json()) as { error_description: string };
      assert.match(
        body.error_description,
        /device_code is not allowed/,
        'the override dropped the device grant',
      );
    } finally {
      await dev.close();
    }
  });
});
