/**
 * Property-based fuzzing (fast-check) of deploy mode's input parsers, through `app.fetch` of an
 * app in front of the hostile provider, with a real signed-in user in the stores:
 *
 * - FZD-01: the callback query parser: random, duplicated and (badly) encoded parameters, now
 *   and then the genuine state of a pending login of this browser.
 * - FZD-02: the cookie parser: random Cookie headers (huge, duplicated, quoted, latin-1 bytes
 *   that are not UTF-8, the real cookies mangled or mixed in) on every route.
 * - FZD-03: `returnTo`: generated from the pieces of known open-redirect tricks; the stored
 *   value is always a same-origin path, however many times a downstream decoder decodes it.
 * - FZD-04: raw bytes over TCP to the app served by `authflow/node`.
 * - FZD-05: afterwards a real login still completes, nothing crashed, no unhandled rejection.
 *
 * Never a 5xx, never a thrown error, never a session, token set or provider refresh or
 * revocation out of garbage. Reproduce a failure with AUTHFLOW_FUZZ_SEED=<seed printed in the
 * failure>; scale the runs with AUTHFLOW_FUZZ_RUNS=<factor> (default 1: about 6 000 requests,
 * well under a minute on two busy cores; each property also stops at a time cap).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { safeReturnTo } from '../../src/deploy/index.js';
import { serve } from '../../src/node/index.js';
import {
  assertNoInternals,
  BASE_URL,
  BINDING_COOKIE,
  callbackPath,
  DeployBrowser,
  type DeployRig,
  deployRig,
  SESSION_COOKIE,
  signIn,
} from './support/deploy-rig.js';
import { fuzzParameters } from './support/fuzz.js';
import { useHostileProvider } from './support/hostile-fixture.js';

const hostile = useHostileProvider();

/** Each property stops generating after this long (slow CI machines run fewer cases). */
const TIME_CAP_MS = 12_000;

/** fast-check parameters for `runs` runs, under the time cap. */
const params = (t: TestContext, runs: number) =>
  fuzzParameters(t, runs, { timeCapMs: TIME_CAP_MS });

// --- generators -----------------------------------------------------------------------------

/** One latin-1 character, control characters and bytes ≥ 0x80 (not UTF-8 on the wire) included; a Cookie header cannot carry NUL, CR or LF. */
const latin1Char = fc
  .integer({ min: 1, max: 255 })
  .filter((c) => c !== 10 && c !== 13)
  .map((c) => String.fromCharCode(c));
const latin1 = (maxLength: number, unit = latin1Char) => fc.string({ unit, maxLength });
/** What HTTP/1.1 lets through in a header value on the wire: tab, visible ASCII, obs-text (0x80-0xff). */
const fieldChar = fc
  .integer({ min: 9, max: 255 })
  .filter((c) => c === 9 || (c >= 0x20 && c !== 0x7f))
  .map((c) => String.fromCharCode(c));
const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const anyText = fc.string({ unit: 'binary', maxLength: 40 });

const queryValue = fc.oneof(
  printable.map(encodeURIComponent),
  anyText.map(encodeURIComponent),
  printable.map((s) => s.replace(/[ #\r\n]/g, '+')),
  fc.constantFrom(
    '',
    '%',
    '%zz',
    '%00',
    '%0d%0a',
    '%E2%82',
    '%C0%AF',
    '%FF%FE',
    '+',
    '%2526',
    '<script>alert(1)</script>',
    '..%2f',
    'https%3A%2F%2Fevil.example',
    'x'.repeat(600),
  ),
  fc.nat({ max: 9000 }).map((n) => 'a'.repeat(n)),
);
const queryKey = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      'state',
      'code',
      'iss',
      'error',
      'error_description',
      'error_uri',
      'session_state',
      'access_token',
      'id_token',
      'refresh_token',
      'token',
      'returnTo',
    ),
  },
  { weight: 1, arbitrary: queryValue },
);
/** `STATE` stands for the genuine state of a pending login of the fuzzing browser. */
const randomPairs = fc.array(
  fc.tuple(
    queryKey,
    fc.oneof({ weight: 12, arbitrary: queryValue }, { weight: 1, arbitrary: fc.constant('STATE') }),
  ),
  { maxLength: 8 },
);
/** Close to a real response: the genuine state, some code, then random extras. */
const nearlyRealPairs = fc
  .tuple(queryValue, fc.array(fc.tuple(queryKey, queryValue), { maxLength: 3 }))
  .map(([code, extra]): [string, string][] => [['state', 'STATE'], ['code', code], ...extra]);
const callbackQuery = fc.oneof(
  { weight: 4, arbitrary: randomPairs },
  { weight: 1, arbitrary: nearlyRealPairs },
);

/** A Cookie header built from the real cookies, mangled copies of them, and junk. */
function cookieHeader(realCookies: fc.Arbitrary<string>, unit = latin1Char) {
  const name = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(SESSION_COOKIE, BINDING_COOKIE, `__Host-${BINDING_COOKIE}`),
    },
    { weight: 1, arbitrary: latin1(12, unit) },
  );
  const value = fc.oneof(
    { weight: 3, arbitrary: realCookies },
    {
      weight: 3,
      arbitrary: fc
        .tuple(realCookies, fc.nat(), unit)
        .map(
          ([v, at, c]) =>
            `${v.slice(0, at % (v.length + 1))}${c}${v.slice((at % (v.length + 1)) + 1)}`,
        ),
    },
    { weight: 2, arbitrary: realCookies.map((v) => `"${v}"`) },
    { weight: 3, arbitrary: latin1(60, unit) },
    { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => 'A'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom('', '=', '"', '%', '%E0%A4%A', '\\', ';', '.', '..') },
  );
  const pair = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(name, value).map(([n, v]) => `${n}=${v}`) },
    { weight: 1, arbitrary: latin1(30, unit) },
  );
  const separator = fc.constantFrom(';', '; ', ';;', ' ; ', ',', ';\t');
  return fc
    .tuple(fc.array(fc.tuple(pair, separator), { maxLength: 12 }), fc.nat({ max: 3 }))
    .map(([pairs, repeat]) => {
      const once = pairs.map(([p, s]) => `${p}${s}`).join('');
      return repeat === 3 ? `${once}; ${once}` : once;
    })
    .map((header) => header.trim());
}

/** Pieces of open-redirect tricks, glued together at random. */
const returnToPiece = fc.constantFrom(
  '/',
  '//',
  '\\',
  '/\\',
  '\\/',
  '%2F',
  '%2f',
  '%5C',
  '%5c',
  '%252F',
  '%25',
  '%09',
  '%0A',
  '%00',
  '\t',
  '\n',
  '\r',
  ' ',
  '\u0000',
  '\u3002',
  '\uff0f',
  'http:',
  'https:',
  'javascript:',
  'data:',
  '@',
  '.',
  '..',
  '?',
  '#',
  ':',
  'evil.example',
  'app',
  '%E0%A4%A',
  '\u00e9',
);
const returnTo = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(returnToPiece, { minLength: 1, maxLength: 8 }).map((a) => a.join('')),
  },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: printable },
);

/** The property every kept returnTo has: a same-origin path at every decoding depth. */
function assertSafeReturnTo(value: string | undefined, input: string): void {
  if (value === undefined) return;
  const label = JSON.stringify(input);
  assert.match(value, /^\/(?![/\\])[\x21-\x7e]*$/, label);
  assert.ok(!value.includes('\\'), label);
  let layer = value;
  for (let depth = 0; depth < 6; depth++) {
    assert.equal(new URL(layer, BASE_URL).origin, BASE_URL, `${label} leaves at depth ${depth}`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we look for
    assert.doesNotMatch(layer, /^[\s\x00-\x1f]*[/\\]{2}|^\/\\|[\x00-\x1f\x7f]/, label);
    let next: string;
    try {
      next = decodeURIComponent(layer);
    } catch {
      break;
    }
    if (next === layer) break;
    layer = next;
  }
}

/** A 4xx JSON answer that shows nothing internal. */
async function assertRefusal(
  response: Response,
  label: string,
  allowed: number[] = [],
): Promise<void> {
  const text = await response.text();
  if (allowed.includes(response.status)) return;
  assert.ok(response.status >= 400 && response.status < 500, `${response.status} for ${label}`);
  assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8', label);
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ['error', 'errorDescription'], label);
  assertNoInternals(text);
}

/** Counts outcomes, for the diagnostics (what the fuzzer actually reached). */
function tally(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

const summary = (counts: Map<string, number>) =>
  [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${key}: ${n}`)
    .join(', ');

// --- the fuzzing ----------------------------------------------------------------------------

describe('deploy fuzzing', () => {
  let rig: DeployRig;
  let user: DeployBrowser;
  let goodSession: string;
  let goodBinding: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    rig = deployRig(hostile(), { loginRateLimit: { max: 1_000_000, windowSeconds: 60 } });
    user = new DeployBrowser('10.1.1.1');
    await signIn(rig, user, { sub: 'fuzz-user' });
    goodSession = user.sessionCookie as string;
    goodBinding = user.bindingCookie as string;
  });
  after(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  /** Nothing came out of the garbage: only the fuzz user's session and tokens, no refresh or revocation. */
  function assertNothingFromGarbage(label: string): void {
    assert.equal(rig.sessions.saved.length, 1, `${label}: no session saved`);
    assert.equal(rig.tokens.saved.length, 1, `${label}: no token set saved`);
    const routes = new Set(rig.op.requests.map((request) => request.route));
    for (const route of ['userinfo', 'revocation'] as const) {
      assert.equal(
        rig.op.requests.filter((request) => request.route === route).length,
        route === 'userinfo' ? 1 : 0,
        `${label}: ${route} requests (${[...routes].join(',')})`,
      );
    }
    assert.ok(
      rig.op.requests.every((request) => request.form?.get('grant_type') !== 'refresh_token'),
      `${label}: no refresh`,
    );
  }

  it('FZD-01 the callback query parser: random, duplicated and encoded parameters never give a 5xx or a session', async (t) => {
    const starter = new DeployBrowser('10.1.1.2');
    const outcomes = new Map<string, number>();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(callbackQuery, fc.boolean(), async (pairs, withBinding) => {
        runs++;
        let state: string | undefined;
        if (pairs.some(([, value]) => value === 'STATE')) {
          state = (await starter.startLogin(rig.app)).searchParams.get('state') ?? '';
        }
        const query = pairs
          .map(([key, value]) => `${key}=${value === 'STATE' ? state : value}`)
          .join('&');
        const headers: Record<string, string> = {};
        if (withBinding)
          headers.cookie = starter.jar.header() ?? `${BINDING_COOKIE}=${goodBinding}`;
        const response = await rig.app.fetch(
          new Request(`${BASE_URL}/auth/callback?${query}`, { headers }),
          { remoteAddress: '10.1.1.2' },
        );
        assert.equal(response.headers.getSetCookie().length, 0, query.slice(0, 200));
        tally(
          outcomes,
          `${response.status} ${((await response.clone().json()) as { error: string }).error}`,
        );
        await assertRefusal(response, query.slice(0, 200));
      }),
      params(t, 2000),
    );
    t.diagnostic(`${runs} callbacks: ${summary(outcomes)}`);
    assertNothingFromGarbage('FZD-01');
  });

  it('FZD-02 the cookie parser: random Cookie headers on every route never give a 5xx, a session they do not hold, or a state change', async (t) => {
    const real = fc.constantFrom(goodSession, goodBinding);
    const garbageOnly = fc.constantFrom(`${goodSession}x`, goodBinding, 'x');
    const routes = [
      ['/auth/status', 'GET'],
      ['/auth/userinfo', 'GET'],
      ['/auth/login', 'GET'],
      ['/auth/callback?state=s&code=c', 'GET'],
      ['/auth/refresh', 'POST'],
      ['/auth/logout', 'POST'],
    ] as const;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        cookieHeader(real),
        cookieHeader(garbageOnly),
        async ([path, method], withReal, garbage) => {
          runs++;
          // State-changing routes only get headers without the real session cookie in them.
          const cookie = method === 'POST' ? garbage : withReal;
          const response = await rig.app.fetch(
            new Request(`${BASE_URL}${path}`, {
              method,
              headers: { cookie, ...(method === 'POST' ? { origin: BASE_URL } : {}) },
            }),
            { remoteAddress: '10.1.1.3' },
          );
          const label = `${path} ${JSON.stringify(cookie).slice(0, 200)}`;
          if (path === '/auth/status') {
            assert.equal(response.status, 200, label);
            const body = (await response.json()) as { authenticated: boolean };
            if (body.authenticated) {
              // Only a header holding the real session cookie signs in (next to copies that
              // do not verify, since issue 8: a planted duplicate must not lock the user out).
              const copies = cookie
                .split(';')
                .filter((part) => part.slice(0, part.indexOf('=')).trim() === SESSION_COOKIE);
              const real = new RegExp(`=\\s*"?${goodSession}"?\\s*$`);
              assert.ok(
                copies.some((copy) => real.test(copy)),
                label,
              );
            }
            return;
          }
          if (path === '/auth/login') {
            assert.equal(response.status, 302, label);
            return;
          }
          await assertRefusal(
            response,
            label,
            path === '/auth/userinfo' || path === '/auth/logout' ? [200] : [],
          );
          if (method === 'POST') {
            assert.ok(
              !response.headers.getSetCookie().some((c) => /^authflow_session=[^;]/.test(c)),
            );
          }
        },
      ),
      params(t, 2000),
    );
    t.diagnostic(`${runs} requests`);
    assertNothingFromGarbage('FZD-02');
    assert.equal((await user.status(rig.app)).userId, 'fuzz-user', 'the real session survived');
  });

  it('FZD-03 returnTo: whatever the input, the stored value is a same-origin path at every decoding depth', async (t) => {
    // The function itself, many times (cheap)...
    fc.assert(
      fc.property(returnTo, (input) => {
        assertSafeReturnTo(safeReturnTo(input, BASE_URL), input);
      }),
      params(t, 20_000),
    );
    // ...and through /auth/login, raw and encoded, as the pending login stores it.
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(returnTo, fc.boolean(), async (input, encode) => {
        runs++;
        const pending = rig.sessions.pending.length;
        let request: Request;
        try {
          const raw = encode
            ? encodeURIComponent(input)
            : input.replace(/[#&\s]/g, (c) => encodeURIComponent(c));
          request = new Request(`${BASE_URL}/auth/login?returnTo=${raw}`);
        } catch {
          return; // Not something a browser could send (a lone surrogate).
        }
        const response = await rig.app.fetch(request, { remoteAddress: '10.1.1.4' });
        assert.equal(response.status, 302, JSON.stringify(input));
        assert.equal(new URL(response.headers.get('location') as string).origin, rig.op.origin);
        const stored = rig.sessions.pending[pending];
        assert.ok(stored);
        assertSafeReturnTo(stored.returnTo, input);
        assert.equal(
          stored.returnTo,
          safeReturnTo(new URL(request.url).searchParams.get('returnTo'), BASE_URL),
        );
      }),
      params(t, 1000),
    );
    t.diagnostic(`${runs} logins`);
  });

  it('FZD-04 raw bytes over TCP (served by authflow/node) never give a 5xx and never stop the server', async (t) => {
    const server = await serve(rig.app);
    t.after(() => server.close());
    const requestLine = fc
      .tuple(
        fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD') },
          { weight: 1, arbitrary: fc.constantFrom('PUT', 'G\u00c9T', '') },
        ),
        fc.constantFrom(
          '/auth/callback',
          '/auth/status',
          '/auth/login',
          '/auth/logout',
          '/auth/refresh',
          '*',
          '//',
        ),
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc
              .array(fc.tuple(queryKey, queryValue), { maxLength: 6 })
              .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
          },
          // Bytes a request target may not hold: the HTTP parser's 400, never the app's 5xx.
          { weight: 1, arbitrary: latin1(80).map((s) => s.replace(/[ ]/g, '%20')) },
        ),
        fc.oneof(
          { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
          { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/9', '') },
        ),
      )
      .map(([method, path, query, version]) => `${method} ${path}?${query} ${version}`);
    const headerLines = fc.array(
      fc.oneof(
        {
          weight: 6,
          // Never the real session cookie: a same-origin POST with it would rightly sign out.
          arbitrary: cookieHeader(fc.constantFrom(`${goodSession}x`, goodBinding), fieldChar).map(
            (c) => `Cookie: ${c}`,
          ),
        },
        {
          weight: 1,
          arbitrary: fc.tuple(latin1(20), latin1(80)).map(([n, v]) => `${n}: ${v}`),
        },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            'Origin: null',
            `Origin: ${BASE_URL}`,
            'Sec-Fetch-Site: same-origin',
            'Content-Length: 5',
            'Transfer-Encoding: chunked',
            'Host:',
          ),
        },
      ),
      { maxLength: 6 },
    );
    const payload = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(requestLine, headerLines)
          .map(([line, headers]) =>
            Buffer.from(
              `${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`,
              'latin1',
            ),
          ),
      },
      {
        weight: 1,
        arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      },
    );
    const outcomes = new Map<string, number>();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(payload, async (bytes) => {
        runs++;
        const answer = await rawExchange(server.port, bytes);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
        const by = /content-type: application\/json/i.test(answer) ? 'app' : 'parser';
        tally(outcomes, status === undefined ? 'closed' : `${status} ${by}`);
        if (status !== undefined) {
          assert.ok(
            Number(status) < 500,
            `${status} for ${JSON.stringify(bytes.toString('latin1')).slice(0, 200)}`,
          );
        }
      }),
      params(t, 300),
    );
    t.diagnostic(`${runs} raw requests: ${summary(outcomes)}`);
    const alive = await fetch(`${server.url}/auth/status`);
    assert.equal(alive.status, 200);
    assertNothingFromGarbage('FZD-04');
  });

  it('FZD-05 afterwards a real login completes, the real session still works, and nothing was left unhandled', async () => {
    const browser = new DeployBrowser('10.1.1.9');
    const authorizeUrl = await browser.startLogin(
      rig.app,
      `?returnTo=${encodeURIComponent('/after-fuzz')}`,
    );
    const response = await browser.call(
      rig.app,
      callbackPath(rig.op, authorizeUrl, { sub: 'late' }),
    );
    assert.equal(response.status, 302);
    assert.equal(response.headers.get('location'), '/after-fuzz');
    assert.equal((await browser.status(rig.app)).userId, 'late');
    assert.equal((await user.status(rig.app)).userId, 'fuzz-user');
    assert.deepEqual(unhandled, [], 'no unhandled rejection');
  });
});

/** Sends `bytes` on a new connection and resolves what came back (at most 2 s, then closes). */
function rawExchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, 2000);
    socket.on('connect', () => {
      socket.write(bytes);
      socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunks.reduce((n, c) => n + c.length, 0) > 64 * 1024) done();
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}
