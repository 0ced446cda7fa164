import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { AuthenticationError } from '../../src/errors.js';
import { safeEqual, startLoopbackServer } from '../../src/flow/loopback-server.js';
import { httpRequest } from '../helpers/http.js';

const STATE = 'expected-state-value-0123456789abcdef';

async function withServer(
  fn: (server: Awaited<ReturnType<typeof startLoopbackServer>>) => Promise<void>,
) {
  const server = await startLoopbackServer({
    expectedState: STATE,
    provider: 'test',
    finalPageWaitMs: 50,
  });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

function pending(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => false,
      () => false,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(true), 20)),
  ]);
}

describe('loopback server', () => {
  it('listens on 127.0.0.1 with a random port and a loopback redirect URI', async () => {
    await withServer(async (server) => {
      assert.ok(server.port > 0);
      assert.equal(server.redirectUri, `http://127.0.0.1:${server.port}/callback`);
    });
  });

  it('refuses wrong state, path, method and Host, and keeps waiting for the real callback', async () => {
    await withServer(async (server) => {
      const wrongState = await httpRequest(server.port, '/callback?code=x&state=forged');
      assert.equal(wrongState.status, 400);
      const duplicated = await httpRequest(
        server.port,
        `/callback?code=x&state=${STATE}&state=${STATE}`,
      );
      assert.equal(duplicated.status, 400);
      assert.equal((await httpRequest(server.port, '/other')).status, 404);
      assert.equal((await httpRequest(server.port, '/favicon.ico')).status, 404);
      assert.equal(
        (await httpRequest(server.port, `/callback?state=${STATE}`, { method: 'POST' })).status,
        405,
      );
      const rebinding = await httpRequest(server.port, `/callback?code=x&state=${STATE}`, {
        host: `evil.example:${server.port}`,
      });
      assert.equal(rebinding.status, 421);
      assert.equal(await pending(server.callback), true, 'the flow is still waiting');

      const real = await httpRequest(server.port, `/callback?code=the-code&state=${STATE}`);
      assert.equal(real.status, 303);
      assert.equal(real.headers.location, '/done');
      const url = await server.callback;
      assert.equal(url.searchParams.get('code'), 'the-code');
    });
  });

  it('escapes reflected text and sends the security headers', async () => {
    await withServer(async (server) => {
      const res = await httpRequest(server.port, '/callback?state=<script>alert(1)</script>');
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.body, /<script>/);
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
    });
  });

  it('shows the outcome on the clean page, then refuses everything once closed', async () => {
    const server = await startLoopbackServer({
      expectedState: STATE,
      provider: 'test',
      finalPageWaitMs: 2000,
    });
    try {
      await httpRequest(server.port, `/callback?code=c&state=${STATE}`);
      const done = httpRequest(server.port, '/done');
      await new Promise((r) => setTimeout(r, 20));
      await server.close({ ok: true });
      const page = await done;
      assert.equal(page.status, 200);
      assert.match(page.body, /signed in/i);
      await assert.rejects(
        httpRequest(server.port, `/callback?code=c&state=${STATE}`),
        /ECONNREFUSED/,
      );
    } finally {
      await server.close();
    }
  });

  it('fails the flow after too many bad requests', async () => {
    const server = await startLoopbackServer({
      expectedState: STATE,
      provider: 'test',
      maxBadRequests: 3,
    });
    try {
      for (let i = 0; i < 4; i++) await httpRequest(server.port, '/callback?state=guess');
      await assert.rejects(
        server.callback,
        (error: unknown) =>
          error instanceof AuthenticationError && error.code === 'validation_failed',
      );
    } finally {
      await server.close();
    }
  });

  it('answers oversized requests with 4xx and closes promptly despite idle keep-alive sockets', async () => {
    const server = await startLoopbackServer({ expectedState: STATE, provider: 'test' });
    const res = await httpRequest(server.port, `/callback?state=${'a'.repeat(20_000)}`);
    assert.ok(res.status === 431 || res.status === 400, `status ${res.status}`);
    const idle = connect(server.port, '127.0.0.1');
    await new Promise((r) => idle.once('connect', r));
    const started = Date.now();
    await server.close();
    assert.ok(Date.now() - started < 1000, 'close() does not wait for idle sockets');
    idle.destroy();
  });

  it('names the port when it is taken', async () => {
    await withServer(async (server) => {
      await assert.rejects(
        startLoopbackServer({ expectedState: STATE, provider: 'test', ports: [server.port] }),
        (error: unknown) =>
          error instanceof AuthenticationError &&
          error.code === 'port_in_use' &&
          error.message.includes(String(server.port)),
      );
    });
  });

  it('compares secrets of any length', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', 'x'), false);
  });
});
