import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { type DevProvider, startDevProvider } from '../../src/dev/index.js';
import { AuthenticationError, AuthFlowCancelled, AuthFlowTimeout } from '../../src/errors.js';
import { AuthFlowManager } from '../../src/flow/auth-flow-manager.js';
import { chromiumAppWindow } from '../../src/flow/chromium-window.js';
import { AuthFlowState } from '../../src/flow/state.js';
import type { ShowWindow } from '../../src/flow/windows.js';
import { GenericOIDCProvider } from '../../src/providers/index.js';
import { MemoryTokenStore } from '../../src/stores/memory.js';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  launchBrowser,
  signInAtDevProvider,
} from '../helpers/browser.js';
import { httpRequest } from '../helpers/http.js';

let dev: DevProvider;
let browser: Browser;

before(async () => {
  dev = await startDevProvider();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await dev?.close();
});

function nativeProvider() {
  return new GenericOIDCProvider({
    clientId: dev.clientId,
    issuerUrl: dev.issuer,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
  });
}

/** A window opener whose "user" signs in with headless Chromium. `done` settles when the browser is finished. */
function scriptedWindow(
  options: {
    username?: string;
    consent?: boolean | 'deny';
    before?: (url: URL) => Promise<void>;
  } = {},
) {
  const seen: { url?: URL; config?: unknown } = {};
  let done: Promise<void> = Promise.resolve();
  const showWindow: ShowWindow = (url, config) => {
    seen.url = new URL(url);
    seen.config = config;
    done = (async () => {
      await options.before?.(new URL(url));
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await signInAtDevProvider(page, url, {
          username: options.username ?? 'ada',
          consent: options.consent ?? true,
        });
      } finally {
        await context.close();
      }
    })();
    done.catch(() => {});
    return 'scripted-window';
  };
  return { showWindow, seen, done: () => done };
}

/** The status of a plain GET of `url` (optionally with another Host header). */
async function rawGet(url: string, host?: string): Promise<number> {
  const target = new URL(url);
  const response = await httpRequest(Number(target.port), `${target.pathname}${target.search}`, {
    address: target.hostname,
    host,
  });
  return response.status;
}

function portRefused(port: number): Promise<boolean> {
  return rawGet(`http://127.0.0.1:${port}/callback`).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
  );
}

describe('native flow against the embedded provider, in a real browser', () => {
  it('signs in: tokens, user info, stored under the user id, state transitions, window closed, server stopped', async () => {
    const store = new MemoryTokenStore();
    const manager = new AuthFlowManager({ provider: nativeProvider(), tokenStore: store });
    assert.equal(manager.flowState, AuthFlowState.PENDING);
    const window = scriptedWindow({ username: 'ada' });
    const closed: Array<string | undefined> = [];
    let stateWhileOpen: string | undefined;
    const result = await manager.runNative({
      showWindow: (url, config, context) => {
        stateWhileOpen = manager.flowState;
        return window.showWindow(url, config, context);
      },
      closeWindow: (label) => {
        closed.push(label);
      },
      windowConfig: { title: 'Custom' },
    });
    await window.done();
    assert.equal(result.success, true);
    assert.ok(result.tokens?.accessToken);
    assert.ok(result.tokens?.refreshToken, 'offline access gives a refresh token');
    assert.ok(result.tokens?.idToken);
    assert.equal(result.userInfo?.sub, 'ada');
    assert.equal(stateWhileOpen, AuthFlowState.IN_PROGRESS);
    assert.equal(manager.flowState, AuthFlowState.COMPLETED);
    assert.ok(manager.flowId);
    assert.deepEqual(await store.listKeys(), ['ada']);
    assert.deepEqual(closed, ['scripted-window']);
    assert.deepEqual(window.seen.config, {
      title: 'Custom',
      width: 500,
      height: 700,
      center: true,
      resizable: true,
    });
    const authorize = window.seen.url as URL;
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorize.searchParams.get('nonce'));
    assert.ok(
      (authorize.searchParams.get('state') ?? '').length >= 22,
      'state has at least 128 bits',
    );
    const redirect = new URL(authorize.searchParams.get('redirect_uri') ?? '');
    assert.equal(redirect.hostname, '127.0.0.1');
    assert.equal(await portRefused(Number(redirect.port)), true);
  });

  it('works without PKCE for a confidential client', async () => {
    const provider = new GenericOIDCProvider({
      clientId: dev.webClientId,
      clientSecret: dev.webClientSecret,
      issuerUrl: dev.issuer,
    });
    const manager = new AuthFlowManager({ provider, usePkce: false });
    const window = scriptedWindow({ username: 'grace' });
    const result = await manager.runNative({ showWindow: window.showWindow });
    await window.done();
    assert.equal(result.userInfo?.sub, 'grace');
    assert.equal(window.seen.url?.searchParams.has('code_challenge'), false);
  });

  it('times out, closes the window and stops the server', async () => {
    const manager = new AuthFlowManager({ provider: nativeProvider(), authTimeout: 0.3 });
    let redirectPort = 0;
    const closed: string[] = [];
    await assert.rejects(
      manager.runNative({
        showWindow: (url) => {
          redirectPort = Number(new URL(new URL(url).searchParams.get('redirect_uri') ?? '').port);
          return 'w';
        },
        closeWindow: (label) => {
          closed.push(String(label));
        },
      }),
      (error: unknown) =>
        error instanceof AuthFlowTimeout && error.timeout === 0.3 && error.code === 'timeout',
    );
    assert.equal(manager.flowState, AuthFlowState.TIMED_OUT);
    assert.deepEqual(closed, ['w']);
    assert.equal(await portRefused(redirectPort), true);
  });

  it('cancel() and an abort signal end a waiting flow at once', async () => {
    // With a 5 s sign-in timeout, a cancel that did not end the flow would end as a timeout.
    const manager = new AuthFlowManager({ provider: nativeProvider(), authTimeout: 5 });
    const running = manager.runNative({
      showWindow: () => void setTimeout(() => manager.cancel(), 50),
    });
    await assert.rejects(running, AuthFlowCancelled);
    assert.equal(manager.flowState, AuthFlowState.CANCELLED);

    const controller = new AbortController();
    const aborted = manager.runNative({
      showWindow: () => void setTimeout(() => controller.abort(), 50),
      signal: controller.signal,
    });
    await assert.rejects(
      aborted,
      (error: unknown) => error instanceof AuthFlowCancelled && error.code === 'cancelled',
    );
    assert.equal(manager.flowState, AuthFlowState.CANCELLED);
  });

  it('ends as a provider error when the user denies consent, storing nothing', async () => {
    const store = new MemoryTokenStore();
    const manager = new AuthFlowManager({ provider: nativeProvider(), tokenStore: store });
    const window = scriptedWindow({ consent: 'deny' });
    await assert.rejects(manager.runNative({ showWindow: window.showWindow }), (error: unknown) => {
      assert.ok(error instanceof AuthenticationError);
      assert.equal(error.code, 'provider_error');
      assert.equal(error.providerError, 'access_denied');
      return true;
    });
    await window.done();
    assert.equal(manager.flowState, AuthFlowState.FAILED);
    assert.deepEqual(await store.listKeys(), []);
  });

  it('ignores a forged callback and a foreign Host, then completes with the real callback', async () => {
    const statuses: number[] = [];
    const window = scriptedWindow({
      before: async (authorize) => {
        const redirectUri = authorize.searchParams.get('redirect_uri') ?? '';
        statuses.push(await rawGet(`${redirectUri}?code=attacker-code&state=guessed`));
        const port = new URL(redirectUri).port;
        statuses.push(
          await rawGet(
            `${redirectUri}?code=x&state=${authorize.searchParams.get('state')}`,
            `attacker.example:${port}`,
          ),
        );
      },
    });
    const manager = new AuthFlowManager({ provider: nativeProvider() });
    const result = await manager.runNative({ showWindow: window.showWindow });
    await window.done();
    assert.deepEqual(statuses, [400, 421]);
    assert.equal(result.success, true);
  });

  it('a dedicated Chromium app window signs in, and closing it cancels the flow at once', async () => {
    let userDataDir = '';
    const signInWindow = chromiumAppWindow({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, '--remote-debugging-port=0'],
      onLaunch: (launched) => {
        userDataDir = launched.userDataDir;
      },
    });
    let driving: Promise<void> = Promise.resolve();
    const manager = new AuthFlowManager({ provider: nativeProvider() });
    const result = await manager.runNative({
      showWindow: async (url, config, context) => {
        const label = await signInWindow.showWindow(url, config, context);
        driving = driveAppWindow(userDataDir, url);
        driving.catch(() => {});
        return label ?? undefined;
      },
      closeWindow: signInWindow.closeWindow,
    });
    await driving;
    assert.equal(result.userInfo?.sub, 'ada');

    const closingWindow = chromiumAppWindow({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      onLaunch: ({ process: child }) => {
        // The browser process ends, as it does when the user closes its only window.
        setTimeout(() => child.kill('SIGTERM'), 500);
      },
    });
    await assert.rejects(manager.runNative(closingWindow), (error: unknown) => {
      assert.ok(error instanceof AuthFlowCancelled);
      assert.match(error.message, /window was closed/);
      return true;
    });
    assert.equal(manager.flowState, AuthFlowState.CANCELLED);
  });
});

/** Connects to the app window over the DevTools protocol and signs in there. */
async function driveAppWindow(userDataDir: string, url: string): Promise<void> {
  let port = '';
  for (let i = 0; i < 100 && port === ''; i++) {
    port = await readFile(join(userDataDir, 'DevToolsActivePort'), 'utf8')
      .then((text) => text.split('\n')[0] ?? '')
      .catch(() => '');
    if (port === '') await new Promise((r) => setTimeout(r, 50));
  }
  const cdp = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
  try {
    const [context] = cdp.contexts();
    const page = context?.pages()[0] ?? (await context?.newPage());
    if (page === undefined) throw new Error('no page in the app window');
    // The window closes as soon as the flow ends, so wait only for the redirect.
    await signInAtDevProvider(page, url, { username: 'ada', consent: true, waitUntil: 'redirect' });
  } finally {
    await cdp.close().catch(() => {});
  }
}
