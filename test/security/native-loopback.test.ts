/**
 * Issue 5, "Loopback server": the native flow's redirect-URI server (RFC 8252 §7.3) against a
 * local attacker process, a DNS-rebinding page and a nosy network. Every case runs a real
 * AuthFlowManager.runNative against the hostile provider; the attacker's request must get a
 * 4xx, must not be exchanged at the provider, and nothing may be stored. Where the flow is
 * meant to keep waiting, the real callback (or a cancel) proves it did.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, it } from 'node:test';
import { AuthFlowCancelled, AuthFlowTimeout } from '../../src/errors.js';
import { launchBrowser } from '../helpers/browser.js';
import { useHostileProvider } from './support/hostile-fixture.js';
import {
  assertNothingStored,
  assertRejected,
  assertStoppedAfterToken,
  type FlowRun,
  httpRequest,
  type NativeRig,
  nativeRig,
  type RawResponse,
  rawExchange,
  runScripted,
  statusCodes,
  tryConnect,
  type WindowRun,
} from './support/native-harness.js';

const hostile = useHostileProvider();

/** The path and query of a URL, as a request target. */
const target = (url: URL) => `${url.pathname}${url.search}`;

/** Lets a wrongly accepted request land before the flow's state is looked at. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/**
 * Runs a flow in which `attack` plays a local process against the loopback server, then the
 * flow is cancelled: the flow must have kept waiting, stored nothing and exchanged nothing.
 */
async function attackThenCancel(attack: (window: WindowRun, rig: NativeRig) => Promise<void>) {
  const op = hostile();
  const rig = nativeRig(op);
  const since = op.requests.length;
  let waiting = false;
  const run = await runScripted(rig, async (window) => {
    await attack(window, rig);
    await settle();
    waiting = rig.manager.flowState === 'in_progress';
    rig.manager.cancel();
  });
  assert.equal(waiting, true, 'the flow kept waiting for the real callback');
  await assertRejected(rig, run, { code: 'cancelled', class: AuthFlowCancelled });
  assertStoppedAfterToken(op, since, 0);
  return { rig, run };
}

/** Runs a flow in which `attack` goes first, then the user's browser completes sign-in. */
async function attackThenSignIn(
  attack: (window: WindowRun, rig: NativeRig) => Promise<void>,
): Promise<{ rig: NativeRig; run: FlowRun; realCode: string }> {
  const op = hostile();
  const rig = nativeRig(op);
  const since = op.requests.length;
  let realCode = '';
  const run = await runScripted(rig, async (window) => {
    await attack(window, rig);
    await settle();
    assert.equal(rig.manager.flowState, 'in_progress', 'still waiting after the attack');
    await assertNothingStored(rig);
    const callback = await window.approve();
    realCode = callback.searchParams.get('code') ?? '';
    const page = await window.visit(callback);
    assert.equal(page.status, 200, 'the real callback completes');
  });
  assert.equal(run.error, undefined, run.error?.message);
  assert.equal(run.result?.success, true);
  const tokenRequests = op.requests.slice(since).filter((r) => r.route === 'token');
  assert.deepEqual(
    tokenRequests.map((r) => r.form?.get('code')),
    [realCode],
    'only the real code was exchanged',
  );
  assert.deepEqual(await rig.store.listKeys(), ['user-1']);
  rig.session.dispose();
  return { rig, run, realCode };
}

function assert4xx(response: RawResponse | number, what: string): void {
  const status = typeof response === 'number' ? response : response.status;
  assert.ok(status >= 400 && status < 500, `${what}: expected 4xx, got ${status}`);
}

describe('loopback server', () => {
  it('LB-01 guessed callback from a local process gets 4xx and the flow keeps waiting', async () => {
    await attackThenSignIn(async (window) => {
      for (const guess of [
        '/callback?code=guessed&state=guessed',
        `/callback?code=guessed&state=${window.state.slice(0, -1)}`,
        `/callback?code=guessed&state=${window.state}x`,
        `/callback?code=guessed&state=${window.state.toUpperCase()}`,
        '/callback?code=guessed',
      ]) {
        const response = await httpRequest(window.port, guess);
        assert.equal(response.status, 400, guess);
        assert.match(response.body, /does not belong to the sign-in in progress/);
      }
    });
  });

  it('LB-02 bounded failures: more than 32 bad requests fail the flow, storing and exchanging nothing', async () => {
    const op = hostile();
    const rig = nativeRig(op);
    const since = op.requests.length;
    let afterLimit: string | undefined;
    const run = await runScripted(rig, async (window) => {
      // Favicon requests are what browsers do on their own: they do not count.
      for (let i = 0; i < 40; i++) {
        assert.equal((await httpRequest(window.port, '/favicon.ico')).status, 404);
      }
      await settle();
      assert.equal(rig.manager.flowState, 'in_progress', 'favicons do not count');
      for (let i = 0; i < 33; i++) {
        assert4xx(await httpRequest(window.port, `/callback?state=guess-${i}`), 'guess');
      }
      // The flow is over: even the genuine callback no longer gets in.
      await settle();
      const real = await window.approve();
      afterLimit = await httpRequest(window.port, target(real)).then(
        (response) => String(response.status),
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      );
    });
    const error = await assertRejected(rig, run, { code: 'validation_failed' });
    assert.match(error.message, /more than 32 invalid requests/);
    assert.ok(
      afterLimit === 'ECONNREFUSED' || afterLimit === 'ECONNRESET' || afterLimit === '410',
      `after the limit: ${afterLimit}`,
    );
    assertStoppedAfterToken(op, since, 0);
  });

  it('LB-03 wrong paths are refused (404), even with the right state and a valid code', async () => {
    await attackThenCancel(async (window) => {
      const query = window.callbackWith().search;
      for (const path of [
        '/',
        '/callback/',
        '/CALLBACK',
        '/callbackx',
        '/callback;x',
        '/%63allback',
        '/callback%2F',
        '/done',
        '/auth/callback',
        '/favicon.ico',
      ]) {
        const response = await httpRequest(window.port, `${path}${query}`);
        assert.equal(response.status, 404, path);
      }
      // Absolute-form and authority-form targets are not paths at all.
      for (const raw of [
        `GET http://127.0.0.1:${window.port}/callback${query} HTTP/1.1\r\nHost: 127.0.0.1:${window.port}\r\n\r\n`,
        `GET //evil.example/callback${query} HTTP/1.1\r\nHost: 127.0.0.1:${window.port}\r\n\r\n`,
        `GET *${query} HTTP/1.1\r\nHost: 127.0.0.1:${window.port}\r\n\r\n`,
      ]) {
        const { text } = await rawExchange(window.port, raw, { idleMs: 2000 });
        const codes = statusCodes(text);
        assert.equal(codes.length, 1, `one response to ${raw.split('\r\n')[0]}`);
        assert4xx(codes[0] ?? 0, raw.split(' ')[1] ?? '');
      }
    });
  });

  it('LB-04 wrong methods are refused (405), even with the right state and a valid code', async () => {
    await attackThenCancel(async (window) => {
      const callback = window.callbackWith();
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE']) {
        const response = await httpRequest(window.port, target(callback), { method });
        assert.equal(response.status, 405, method);
      }
      // A form_post-style response, parameters in the body.
      const body = window.callbackWith().searchParams.toString();
      const posted = await httpRequest(window.port, '/callback', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      assert.equal(posted.status, 405);
    });
  });

  it('LB-05 DNS rebinding: a foreign Host header is refused, even with the right state and a valid code', async () => {
    await attackThenCancel(async (window) => {
      const path = target(window.callbackWith());
      const port = window.port;
      for (const host of [
        `evil.example:${port}`,
        'evil.example',
        `localhost:${port}`,
        '127.0.0.1',
        `127.0.0.1:${port + 1}`,
        `[::1]:${port}`,
        `127.0.0.1:${port}.evil.example`,
        `127.0.0.1:${port}@evil.example`,
        `0x7f.0.0.1:${port}`,
        `2130706433:${port}`,
        `127.1:${port}`,
        ` 127.0.0.1:${port}x`,
      ]) {
        const response = await httpRequest(port, path, { host });
        assert4xx(response, `Host ${host}`);
      }
      // No Host header at all (HTTP/1.0 and HTTP/1.1).
      for (const version of ['1.0', '1.1']) {
        const { text } = await rawExchange(port, `GET ${path} HTTP/${version}\r\n\r\n`, {
          idleMs: 2000,
        });
        assert4xx(statusCodes(text)[0] ?? 0, `no Host, HTTP/${version}`);
      }
      // Two Host headers, the first one foreign.
      const { text } = await rawExchange(
        port,
        `GET ${path} HTTP/1.1\r\nHost: evil.example\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
        { idleMs: 2000 },
      );
      assert4xx(statusCodes(text)[0] ?? 0, 'two Host headers');
    });
  });

  it('LB-06 listens on 127.0.0.1 only: not on the other interfaces, not on ::1', async () => {
    await attackThenCancel(async (window) => {
      assert.equal(await tryConnect('127.0.0.1', window.port), 'connected', 'control');
      const others = new Set<string>(['::1', '127.0.0.2']);
      for (const [name, addresses] of Object.entries(networkInterfaces())) {
        for (const info of addresses ?? []) {
          if (info.address === '127.0.0.1') continue;
          const scoped =
            info.family === 'IPv6' && info.scopeid ? `${info.address}%${name}` : info.address;
          others.add(scoped);
        }
      }
      for (const address of others) {
        const outcome = await tryConnect(address, window.port);
        assert.notEqual(outcome, 'connected', `reachable on ${address}`);
      }
      // And the kernel's own view: one listening socket, bound to 127.0.0.1.
      const hexPort = window.port.toString(16).toUpperCase().padStart(4, '0');
      const listening = (text: string) =>
        text
          .split('\n')
          .map((line) => line.trim().split(/\s+/))
          .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A')
          .map((cols) => cols[1]?.split(':')[0]);
      assert.deepEqual(listening(await readFile('/proc/net/tcp', 'utf8')), ['0100007F']);
      assert.deepEqual(listening(await readFile('/proc/net/tcp6', 'utf8').catch(() => '')), []);
    });
  });

  it('LB-07 every request is refused once the flow ended: success, failure, cancel, timeout', async () => {
    const op = hostile();
    const endings: [string, (window: WindowRun, rig: NativeRig) => Promise<void>, number][] = [
      ['success', async (window) => void (await window.visit(await window.approve())), 20],
      [
        'failure',
        async (window) =>
          void (await window.visit(window.callbackWith({ idToken: { claims: { aud: 'x' } } }))),
        20,
      ],
      ['cancel', async (_window, rig) => rig.manager.cancel(), 20],
      ['timeout', async () => {}, 0.5],
    ];
    for (const [name, end, authTimeout] of endings) {
      const rig = nativeRig(op, { authTimeout });
      let port = 0;
      let callback = new URL('http://127.0.0.1/');
      let idleClosed: Promise<void> = Promise.resolve();
      let idle: Socket | undefined;
      const run = await runScripted(rig, async (window) => {
        port = window.port;
        callback = window.callbackWith();
        // A keep-alive connection a local process opened and keeps idle.
        const socket = connect({ host: '127.0.0.1', port });
        idle = socket;
        socket.on('error', () => {});
        idleClosed = new Promise((resolve) => socket.on('close', () => resolve()));
        await new Promise((resolve) => socket.once('connect', resolve));
        await end(window, rig);
      });
      if (name === 'success') {
        assert.equal(run.result?.success, true, run.error?.message);
        rig.session.dispose();
      } else {
        assert.ok(run.error, `${name}: the flow failed`);
        assert.equal(
          run.error instanceof AuthFlowTimeout,
          name === 'timeout',
          `${name}: ${run.error.name}`,
        );
        await assertNothingStored(rig);
      }
      await Promise.race([
        idleClosed,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`${name}: idle socket still open`)), 2000),
        ),
      ]);
      assert.equal(idle?.destroyed, true, `${name}: idle connection closed by the server`);
      assert.equal(await tryConnect('127.0.0.1', port), 'ECONNREFUSED', `${name}: port closed`);
      const replay = await httpRequest(port, target(callback)).then(
        (r) => String(r.status),
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      );
      assert.equal(replay, 'ECONNREFUSED', `${name}: callback after the end`);
    }
  });

  it('LB-07b a replayed callback while the code is being exchanged gets 409, and the code is exchanged once', async () => {
    const op = hostile();
    let release: () => void = () => {};
    const exchanging = new Promise<void>((resolve) => {
      release = resolve;
    });
    op.override('token', async () => {
      await exchanging;
      return undefined; // the honest answer
    });
    const rig = nativeRig(op);
    const since = op.requests.length;
    const run = await runScripted(rig, async (window) => {
      const callback = await window.approve();
      const page = window.visit(callback);
      await waitFor(() => op.requests.slice(since).some((r) => r.route === 'token') || undefined);
      for (let i = 0; i < 3; i++) {
        const replay = await httpRequest(window.port, target(callback));
        assert.equal(replay.status, 409);
      }
      release();
      assert.equal((await page).status, 200);
    });
    assert.equal(run.result?.success, true);
    assert.equal(op.requests.slice(since).filter((r) => r.route === 'token').length, 1);
    rig.session.dispose();
  });

  it('LB-08 oversized request lines and headers get 4xx and never complete the flow', async () => {
    await attackThenSignIn(async (window) => {
      const valid = window.callbackWith();
      const port = window.port;
      const head = (line: string, headers = '') =>
        `${line}\r\nHost: 127.0.0.1:${port}\r\n${headers}\r\n`;
      const cases: [string, string][] = [
        ['request line 10 KB', head(`GET ${target(valid)}&pad=${'a'.repeat(10_000)} HTTP/1.1`)],
        ['request line 1 MB', head(`GET ${target(valid)}&pad=${'a'.repeat(1_000_000)} HTTP/1.1`)],
        [
          'one 16 KB header',
          head(`GET ${target(valid)} HTTP/1.1`, `X-Big: ${'b'.repeat(16_000)}\r\n`),
        ],
        [
          '300 headers',
          head(
            `GET ${target(valid)} HTTP/1.1`,
            Array.from({ length: 300 }, (_, i) => `X-H${i}: ${'c'.repeat(40)}\r\n`).join(''),
          ),
        ],
        [
          'a 100 MB body announced on a guessed callback',
          head(
            'GET /callback?code=guess&state=guess HTTP/1.1',
            'Content-Length: 104857600\r\n',
          ).concat('d'.repeat(1000)),
        ],
      ];
      for (const [name, payload] of cases) {
        const started = performance.now();
        const { text, error } = await rawExchange(port, payload, { idleMs: 3000 });
        const codes = statusCodes(text);
        // Either a 4xx, or (1 MB line) the connection reset while we were still writing.
        if (codes.length === 0)
          assert.ok(error === 'ECONNRESET' || error === 'EPIPE', `${name}: ${error}`);
        else assert4xx(codes[0] ?? 0, name);
        assert.ok(performance.now() - started < 3000, `${name}: answered promptly`);
      }
    });
  });

  it('LB-09 every page: no third-party resources, no-referrer, no-store, nosniff, a strict CSP, no cookie', async () => {
    const pages: [string, RawResponse][] = [];
    const op = hostile();
    const rig = nativeRig(op);
    await runScripted(rig, async (window) => {
      const port = window.port;
      const valid = window.callbackWith();
      pages.push(['400 wrong state', await httpRequest(port, '/callback?state=x')]);
      pages.push(['404 wrong path', await httpRequest(port, '/nope')]);
      pages.push(['405 wrong method', await httpRequest(port, target(valid), { method: 'POST' })]);
      pages.push([
        '421 foreign Host',
        await httpRequest(port, target(valid), { host: 'evil.example' }),
      ]);
      pages.push(['303 redirect', await httpRequest(port, target(valid))]);
      pages.push(['409 replay', await httpRequest(port, target(valid))]);
      pages.push(['200 final page', await httpRequest(port, '/done')]);
    });
    assert.equal(pages.at(-2)?.[1].status, 409);
    rig.session.dispose();
    // A failed flow's final page too.
    const failing = nativeRig(op);
    await runScripted(failing, async (window) => {
      const url = window.callbackWith({ idToken: { alg: 'none' } });
      pages.push(['303 redirect (failing)', await httpRequest(window.port, target(url))]);
      pages.push(['400 final page', await httpRequest(window.port, '/done')]);
    });
    await assertNothingStored(failing);
    assert.deepEqual(
      pages.map(([, page]) => page.status),
      [400, 404, 405, 421, 303, 409, 200, 303, 400],
    );
    for (const [name, page] of pages) {
      const h = page.headers;
      const csp = String(h['content-security-policy']);
      for (const directive of [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'none'",
        "base-uri 'none'",
      ]) {
        assert.ok(csp.includes(directive), `${name}: CSP ${directive}`);
      }
      assert.doesNotMatch(csp, /script-src|https?:|\*/, `${name}: CSP allows no scripts or hosts`);
      assert.equal(h['cache-control'], 'no-store', `${name}: no-store`);
      assert.equal(h['referrer-policy'], 'no-referrer', `${name}: no-referrer`);
      assert.equal(h['x-content-type-options'], 'nosniff', `${name}: nosniff`);
      assert.equal(h['x-frame-options'], 'DENY', `${name}: DENY`);
      assert.equal(h['set-cookie'], undefined, `${name}: no cookie`);
      if (page.status !== 303) {
        assert.match(String(h['content-type']), /^text\/html; charset=utf-8$/, name);
      } else {
        assert.equal(h.location, '/done', `${name}: to the clean URL`);
      }
      for (const forbidden of [
        /<script/i,
        /<link/i,
        /<img/i,
        /<iframe/i,
        /\ssrc=/i,
        /\shref=/i,
        /url\(/i,
        /@import/i,
        /https?:\/\//i,
      ]) {
        assert.doesNotMatch(page.body, forbidden, `${name}: ${forbidden}`);
      }
      assert.doesNotMatch(page.body, /\b(at|rt|code)-[A-Za-z0-9_-]{16,}|eyJ/, `${name}: no secret`);
    }
  });

  it('LB-11 the flow settles as soon as the browser has its final page (no lingering server)', async () => {
    // A response that fails at once (the provider's error=) ends the flow before the browser
    // asks for the final page; the server must still stop right after serving it, not after
    // the whole final-page wait.
    const op = hostile();
    const rig = nativeRig(op, { loopback: { finalPageWaitMs: 5000 } });
    let servedAt = 0;
    const run = await runScripted(rig, async (window) => {
      const url = new URL(window.redirectUri);
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('state', window.state);
      const page = await window.visit(url);
      servedAt = performance.now();
      assert.equal(page.status, 400);
    });
    const settledAt = performance.now();
    await assertRejected(rig, run, { code: 'provider_error' });
    assert.ok(
      settledAt - servedAt < 2500,
      `settled ${Math.round(settledAt - servedAt)} ms after the page`,
    );
  });

  it('LB-10 in a real browser: only the provider and the loopback server are contacted, and the code leaves the address bar', async () => {
    const op = hostile();
    const rig = nativeRig(op);
    const browser = await launchBrowser();
    try {
      const origins = new Set<string>();
      let finalUrl = '';
      let resources = -1;
      const run = await runScripted(rig, async (window) => {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          page.on('request', (request) => origins.add(new URL(request.url()).origin));
          await page.goto(window.url.href, { waitUntil: 'load' });
          await page.waitForURL(/\/done$/, { timeout: 15_000 });
          await page.waitForLoadState('load');
          finalUrl = page.url();
          resources = await page.evaluate(() => performance.getEntriesByType('resource').length);
          assert.match(await page.content(), /You are signed in/);
        } finally {
          await context.close();
        }
      });
      assert.equal(run.result?.success, true, run.error?.message);
      assert.deepEqual(
        [...origins].sort(),
        [new URL(op.issuer).origin, run.authorize?.loopbackOrigin].sort(),
      );
      assert.equal(finalUrl, `${run.authorize?.loopbackOrigin}/done`, 'no code in the address bar');
      assert.equal(resources, 0, 'the page loads no sub-resources');
    } finally {
      rig.session.dispose();
      await browser.close();
    }
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
