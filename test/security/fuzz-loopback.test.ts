/**
 * Property-based fuzzing (fast-check) of native mode's attack surface:
 *
 * - FZ-01/FZ-02: thousands of generated HTTP requests (methods, paths, query strings with
 *   random, duplicated and encoded parameters, Host headers, header sizes) and raw malformed
 *   byte streams, over plain TCP, against the loopback server of a live runNative flow. The
 *   process never crashes, nothing but a 4xx (or a closed connection) ever comes back, nothing
 *   is exchanged or stored, and the real callback still completes afterwards.
 * - FZ-03: the callback parser behind it (GenericOIDCProvider.exchangeCode): whatever the
 *   query, a typed error, and no token request unless the response is well formed.
 * - FZ-04/FZ-05: safeEqual and the page escaping.
 *
 * Reproduce a failure with AUTHFLOW_FUZZ_SEED=<seed printed in the failure>; scale the runs
 * with AUTHFLOW_FUZZ_RUNS=<factor> (default 1: about 25 s on two busy cores).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as client from 'openid-client';
import { AuthenticationError } from '../../src/errors.js';
import { escapeHtml } from '../../src/flow/html.js';
import { safeEqual } from '../../src/flow/loopback-server.js';
import { defaultErrorPage, defaultSuccessPage } from '../../src/flow/pages.js';
import { GenericOIDCProvider } from '../../src/providers/index.js';
import { fuzzParameters } from './support/fuzz.js';
import { useHostileProvider } from './support/hostile-fixture.js';
import {
  assertNothingStored,
  type NativeRig,
  nativeRig,
  rawExchange,
  runScripted,
  statusCodes,
  type WindowRun,
} from './support/native-harness.js';

const hostile = useHostileProvider();

// --- generators -----------------------------------------------------------------------------

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
const anyText = fc.string({ unit: 'binary', maxLength: 40 });

/** A query-string piece, raw (possibly badly) or percent-encoded. */
const queryValue = fc.oneof(
  printable.map(encodeURIComponent),
  anyText.map(encodeURIComponent),
  printable.map((s) => s.replace(/[ #\r\n]/g, '+')),
  fc.constantFrom('', '%', '%zz', '%00', '%0d%0a', '%E2%82', '+', '%2526', '<script>', '..%2f'),
);
const queryKey = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'state',
      'code',
      'iss',
      'error',
      'error_description',
      'access_token',
      'id_token',
      'token',
      'response',
      'session_state',
    ),
  },
  { weight: 1, arbitrary: queryValue },
);
const query = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 8 });

const path = fc.oneof(
  { weight: 5, arbitrary: fc.constant('/callback') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '/',
      '/done',
      '/favicon.ico',
      '/callback/',
      '/CALLBACK',
      '/%63allback',
      '/callback/..',
      '/./callback',
      '//callback',
      '/callback%00',
      '*',
      '',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(
        printable.map((s) => s.replace(/[ ?#\r\n]/g, '_')),
        { maxLength: 4 },
      )
      .map((segments) => `/${segments.join('/')}`),
  },
);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constant('GET') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'POST',
      'HEAD',
      'PUT',
      'DELETE',
      'OPTIONS',
      'PATCH',
      'TRACE',
      'PROPFIND',
      'get',
      'G ET',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,10}$/) },
);

type HostChoice = { kind: 'ours' } | { kind: 'none' } | { kind: 'other'; value: string };
const host: fc.Arbitrary<HostChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'ours' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 3,
    arbitrary: fc
      .oneof(
        fc.constantFrom(
          'evil.example',
          'localhost:{port}',
          '127.0.0.1',
          '[::1]:{port}',
          '127.0.0.1:{port}.evil',
          'LOCALHOST:{port}',
          '127.0.0.1:{port}x',
          '127.0.0.1:0{port}',
        ),
        printable,
      )
      .map((value) => ({ kind: 'other' as const, value })),
  },
);

const header = fc.tuple(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/),
    fc.constantFrom(
      'Content-Length',
      'Transfer-Encoding',
      'Connection',
      'Upgrade',
      'Expect',
      'Cookie',
      'Referer',
    ),
  ),
  fc.oneof(
    printable,
    fc.constantFrom(
      '0',
      '10',
      'chunked',
      'close',
      'keep-alive',
      'upgrade',
      'websocket',
      '100-continue',
      '-1',
      '99999999999999999999',
    ),
    fc.integer({ min: 1, max: 12_000 }).map((n) => 'x'.repeat(n)),
  ),
);

const version = fc.oneof(
  { weight: 8, arbitrary: fc.constant('HTTP/1.1') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1x', 'http/1.1', ''),
  },
);

/** How the real state appears: not at all, as one of two `state`s, or once on a request that is wrong elsewhere. */
const realState = fc.constantFrom('none', 'none', 'none', 'duplicated', 'single');

interface GeneratedRequest {
  method: string;
  path: string;
  query: [string, string][];
  host: HostChoice;
  headers: [string, string][];
  version: string;
  realState: string;
  validCode: boolean;
}

const request: fc.Arbitrary<GeneratedRequest> = fc.record({
  method,
  path,
  query,
  host,
  headers: fc.array(header, { maxLength: 6 }),
  version,
  realState,
  validCode: fc.boolean(),
});

/** Renders a generated request to bytes; never a valid callback for the flow. */
function render(generated: GeneratedRequest, window: WindowRun): string {
  const port = window.port;
  const pairs = [...generated.query];
  if (generated.validCode)
    pairs.push(['code', window.callbackWith().searchParams.get('code') ?? '']);
  let hostChoice = generated.host;
  if (generated.realState === 'duplicated') {
    pairs.unshift(['state', 'not-the-state']);
    pairs.push(['state', window.state]);
  } else if (generated.realState === 'single') {
    for (let i = pairs.length - 1; i >= 0; i--) if (pairs[i]?.[0] === 'state') pairs.splice(i, 1);
    pairs.push(['state', window.state]);
    const normalized = URL.parse(generated.path, 'http://127.0.0.1')?.pathname;
    // The real state on an otherwise right request is the genuine callback: spoil the Host.
    if (generated.method === 'GET' && normalized === '/callback' && hostChoice.kind === 'ours') {
      hostChoice = { kind: 'other', value: 'evil.example' };
    }
  }
  const search = pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
  const lines = [`${generated.method} ${generated.path}${search} ${generated.version}`.trimEnd()];
  if (hostChoice.kind === 'ours') lines.push(`Host: 127.0.0.1:${port}`);
  if (hostChoice.kind === 'other')
    lines.push(`Host: ${hostChoice.value.replaceAll('{port}', String(port))}`);
  for (const [name, value] of generated.headers) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * The response to one fuzzed request: nothing at all, or final statuses that are all 4xx
 * (a `100 Continue` interim answer to `Expect: 100-continue` may precede them).
 */
function assertOnly4xx(text: string, what: () => string): void {
  const codes = statusCodes(text).filter((code) => code !== 100);
  for (const code of codes) {
    assert.ok(code >= 400 && code < 500, `got HTTP ${code} for ${what()}`);
  }
  if (codes.length === 0) assert.equal(text.length, 0, `no final answer for ${what()}`);
}

/** Counts answers by status (`none` for a closed connection), for the test's diagnostics. */
function tally(histogram: Map<string, number>, text: string): void {
  const codes = statusCodes(text).filter((code) => code !== 100);
  const key = codes.length === 0 ? 'none' : codes.join('+');
  histogram.set(key, (histogram.get(key) ?? 0) + 1);
}

/**
 * Runs a flow whose window first sends every fuzzed payload, then signs in for real; checks
 * the flow kept waiting, exchanged only the real code, and stored only the real user's tokens.
 */
async function fuzzThenSignIn(fuzz: (window: WindowRun, rig: NativeRig) => Promise<FuzzStats>) {
  const op = hostile();
  // No cap on bad requests: the fuzzer is not meant to end the flow (LB-02 covers the cap).
  const rig = nativeRig(op, {
    authTimeout: 300,
    loopback: { maxBadRequests: Number.MAX_SAFE_INTEGER },
  });
  const since = op.requests.length;
  let realCode = '';
  let stats: FuzzStats = { idle: 0, total: 0, histogram: new Map() };
  const run = await runScripted(rig, async (window) => {
    stats = await fuzz(window, rig);
    assert.equal(rig.manager.flowState, 'in_progress', 'the flow is still waiting');
    await assertNothingStored(rig);
    const callback = await window.approve();
    realCode = callback.searchParams.get('code') ?? '';
    assert.equal((await window.visit(callback)).status, 200, 'the real callback completes');
  });
  assert.equal(run.error, undefined, run.error?.message);
  assert.equal(run.result?.success, true);
  assert.deepEqual(
    op.requests
      .slice(since)
      .filter((r) => r.route === 'token')
      .map((r) => r.form?.get('code')),
    [realCode],
    'only the real code reached the provider',
  );
  assert.deepEqual(await rig.store.listKeys(), ['user-1']);
  rig.session.dispose();
  return stats;
}

interface FuzzStats {
  idle: number;
  total: number;
  histogram: Map<string, number>;
}

describe('fuzzing the loopback server of a live flow', () => {
  it('FZ-01 generated HTTP requests: never 2xx/3xx/5xx, no crash, and the real callback completes afterwards', async (t) => {
    const stats = await fuzzThenSignIn(async (window) => {
      let idle = 0;
      let total = 0;
      const histogram = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(request, async (generated) => {
          const payload = render(generated, window);
          const { text, error } = await rawExchange(window.port, payload, {
            idleMs: 3000,
            endAfterWrite: true,
          });
          total += 1;
          if (error === 'idle') idle += 1;
          tally(histogram, text);
          assertOnly4xx(text, () => JSON.stringify(payload.slice(0, 300)));
        }),
        fuzzParameters(t, 3000),
      );
      return { idle, total, histogram };
    });
    t.diagnostic(`${stats.total} requests, ${stats.idle} left unanswered until the idle limit`);
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries(stats.histogram))}`);
    assert.equal(stats.idle, 0, 'every request was answered or closed promptly');
  });

  it('FZ-02 raw malformed byte streams: never 2xx/3xx/5xx, no crash, and the real callback completes afterwards', async (t) => {
    const crlf = fc.constantFrom('\r\n', '\n', '\r', '\r\n\r\n', '\0', ' ', ':', '\t');
    const requestish = fc
      .array(
        fc.oneof(
          printable,
          crlf,
          fc.constantFrom(
            'GET ',
            '/callback?state=',
            'HTTP/1.1',
            'Host: 127.0.0.1',
            'Content-Length: ',
            'Transfer-Encoding: chunked',
          ),
        ),
        { maxLength: 30 },
      )
      .map((parts) => parts.join(''));
    const payload = fc.oneof(
      requestish.map((text) => Buffer.from(`${text}\r\n\r\n`, 'latin1')),
      fc
        .uint8Array({ minLength: 1, maxLength: 3000 })
        .map((bytes) => Buffer.concat([bytes, Buffer.from('\r\n\r\n')])),
    );
    const stats = await fuzzThenSignIn(async (window) => {
      let idle = 0;
      let total = 0;
      const histogram = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(payload, async (bytes) => {
          const { text, error } = await rawExchange(window.port, bytes, {
            idleMs: 3000,
            endAfterWrite: true,
          });
          total += 1;
          if (error === 'idle') idle += 1;
          tally(histogram, text);
          assertOnly4xx(text, () => JSON.stringify(bytes.toString('latin1').slice(0, 300)));
        }),
        fuzzParameters(t, 2000),
      );
      return { idle, total, histogram };
    });
    t.diagnostic(`${stats.total} payloads, ${stats.idle} left unanswered until the idle limit`);
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries(stats.histogram))}`);
    assert.equal(stats.idle, 0, 'every payload was answered or closed promptly');
  });
});

describe('fuzzing the callback parser', () => {
  it('FZ-03 exchangeCode on any query: a typed error, and a token request only for a well-formed response', async (t) => {
    const op = hostile();
    const provider = new GenericOIDCProvider({ clientId: op.clientId, issuerUrl: op.issuer });
    const state = client.randomState();
    const value = fc.oneof(
      queryValue.map((v) => {
        try {
          return decodeURIComponent(v);
        } catch {
          return v;
        }
      }),
      fc.constantFrom(state, op.issuer, 'code-abc', ''),
    );
    const pairs = fc.array(
      fc.tuple(
        fc.constantFrom(
          'state',
          'code',
          'iss',
          'error',
          'access_token',
          'id_token',
          'token',
          'refresh_token',
          'response',
          'x',
        ),
        value,
      ),
      { maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(pairs, async (list) => {
        const url = new URL('http://127.0.0.1:53682/callback');
        for (const [k, v] of list) url.searchParams.append(k, v);
        const before = op.requestsTo('token').length;
        let caught: unknown;
        try {
          await provider.exchangeCode({
            callbackUrl: url,
            redirectUri: 'http://127.0.0.1:53682/callback',
            expectedState: state,
            expectedNonce: client.randomNonce(),
            codeVerifier: client.randomPKCECodeVerifier(),
          });
        } catch (error) {
          caught = error;
        }
        assert.ok(caught instanceof AuthenticationError, `a typed error, got ${String(caught)}`);
        const sent = op.requestsTo('token').length > before;
        const all = (k: string) => url.searchParams.getAll(k);
        // openid-client reads an empty `error`, `iss` or `response` as absent (harmless: the
        // response is then an ordinary one, still bound to the state).
        const absent = (k: string) =>
          all(k).length === 0 || (all(k).length === 1 && all(k)[0] === '');
        const wellFormed =
          all('state').length === 1 &&
          all('state')[0] === state &&
          all('code').length === 1 &&
          all('code')[0] !== '' &&
          absent('error') &&
          absent('response') &&
          ['access_token', 'id_token', 'token', 'refresh_token'].every(
            (k) => all(k).length === 0,
          ) &&
          (absent('iss') || (all('iss').length === 1 && all('iss')[0] === op.issuer));
        if (sent) assert.ok(wellFormed, `a token request for ${url.search}`);
        if (
          all('error').length > 0 &&
          all('state').length === 1 &&
          all('state')[0] === state &&
          all('error').length === 1 &&
          all('error')[0] !== ''
        ) {
          // Only the right state lets the provider's own error through.
          assert.ok(
            ['provider_error', 'validation_failed'].includes((caught as AuthenticationError).code),
          );
        }
        if (!(all('state').length === 1 && all('state')[0] === state)) {
          assert.equal(
            (caught as AuthenticationError).code,
            'validation_failed',
            `wrong state: ${url.search}`,
          );
        }
      }),
      fuzzParameters(t, 1500),
    );
  });
});

describe('fuzzing the primitives', () => {
  it('FZ-04 safeEqual agrees with === on any strings, near misses included', (t) => {
    const text = fc.string({ unit: 'binary', maxLength: 80 });
    fc.assert(
      fc.property(text, text, (a, b) => safeEqual(a, b) === (a === b) && safeEqual(a, a)),
      fuzzParameters(t, 3000),
    );
    fc.assert(
      fc.property(
        text.filter((s) => s.length > 0),
        fc.nat(),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        (s, i, c) => {
          const at = i % s.length;
          const changed = s.slice(0, at) + c + s.slice(at + 1);
          return (
            safeEqual(s, changed) === (s === changed) &&
            !safeEqual(s, `${s}x`) &&
            !safeEqual(`x${s}`, s)
          );
        },
      ),
      fuzzParameters(t, 3000),
    );
  });

  it('FZ-05 escapeHtml never lets <, >, ", \', ` through and is reversible; pages keep their structure', (t) => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .array(
          fc.constantFrom(
            '<',
            '>',
            '"',
            "'",
            '`',
            '&',
            '=',
            '/',
            '<script>',
            '</p>',
            '&#60;',
            'javascript:',
            '\u2028',
            '\0',
          ),
          { maxLength: 20 },
        )
        .map((parts) => parts.join('')),
    );
    const decodeEntities = (html: string) =>
      html.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));
    fc.assert(
      fc.property(text, (raw) => {
        const escaped = escapeHtml(raw);
        assert.doesNotMatch(escaped, /[<>"'`]/);
        assert.equal(decodeEntities(escaped), raw);
      }),
      fuzzParameters(t, 3000),
    );
    const tags = (html: string) => html.match(/<[^>]*>/g)?.join('') ?? '';
    const errorTags = tags(
      defaultErrorPage({ provider: 'p', status: 400, title: 't', message: 'm' }),
    );
    const successTags = tags(defaultSuccessPage({ provider: 'p' }));
    fc.assert(
      fc.property(text, text, text, (provider, title, message) => {
        assert.equal(tags(defaultErrorPage({ provider, status: 400, title, message })), errorTags);
        assert.equal(tags(defaultSuccessPage({ provider })), successTags);
      }),
      fuzzParameters(t, 1500),
    );
  });
});
