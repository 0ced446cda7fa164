// Shared browser harness: real headless Chromium (playwright-core) doing the user's part at
// the embedded development provider (src/dev). Pages are driven by the stable element ids of
// src/dev/pages.ts.

import {
  type Browser,
  type BrowserContext,
  chromium,
  type Page,
  type Request,
} from 'playwright-core';
import { useStarted } from './fixture.js';

/** Chromium installed on the test machines (`apt-get install chromium`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Arguments every test browser runs with. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

const DEFAULT_TIMEOUT_MS = 15_000;

/** Launches headless Chromium. The caller must close it (see {@link withBrowser}, {@link useBrowser}). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Runs `fn` with a fresh browser, closed afterwards whatever happens. */
export async function withBrowser<T>(fn: (browser: Browser) => Promise<T>): Promise<T> {
  const browser = await launchBrowser();
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

/**
 * Runs `fn` with a page in a new, isolated browser context (own cookies), closed afterwards
 * whatever happens. Launches a browser for the call when none is given.
 */
export async function withPage<T>(
  browserOrFn: Browser | ((page: Page, context: BrowserContext) => Promise<T>),
  maybeFn?: (page: Page, context: BrowserContext) => Promise<T>,
): Promise<T> {
  if (typeof browserOrFn === 'function') {
    const fn = browserOrFn;
    return withBrowser((browser) => withPage(browser, fn));
  }
  const fn = maybeFn as (page: Page, context: BrowserContext) => Promise<T>;
  const context = await browserOrFn.newContext();
  try {
    return await fn(await context.newPage(), context);
  } finally {
    await context.close();
  }
}

/**
 * node:test fixture: launches one browser before the tests of the enclosing `describe` (or
 * file) and closes it after them, even when they fail. Call at describe/file level; the
 * returned function gives the browser inside tests.
 */
export function useBrowser(): () => Browser {
  return useStarted('useBrowser()', launchBrowser, (browser) => browser.close());
}

/** What the user does at the consent page: approve (default), deny, or stop there (`false`). */
export type ConsentAnswer = boolean | 'deny';

/** Options of {@link signInAtDevProvider}. */
export interface SignInOptions {
  /** User name typed at the login page. Default `alice`. */
  username?: string;
  /** Answer at the consent page. `false` resolves as soon as the consent page shows. Default `true`. */
  consent?: ConsentAnswer;
  /**
   * `'redirect'`: resolve as soon as the browser requests the redirect URI. `'load'` (default):
   * also wait until the page it leads to (after its own redirects) has loaded or failed.
   */
  waitUntil?: 'redirect' | 'load';
  /** Gives up after this many milliseconds. Default 15000. */
  timeoutMs?: number;
}

/** Options of {@link signInDeviceFlow}. */
export interface DeviceSignInOptions {
  /** User name typed at the login page. Default `alice`. */
  username?: string;
  /** Answer at the consent page (`'deny'` denies the device). Default `true`. */
  consent?: ConsentAnswer;
  /** Press "Abort" on the device confirmation page instead of continuing. */
  abort?: boolean;
  /** Gives up after this many milliseconds. Default 15000. */
  timeoutMs?: number;
}

/** Outcome of {@link signInDeviceFlow}. */
export type DeviceSignInOutcome = 'approved' | 'denied' | 'aborted';

/** Reported by the harness when the provider shows its error page or an unexpected one. */
export class DevProviderPageError extends Error {
  /** OAuth error code shown on the page, e.g. `invalid_request`. */
  readonly error: string;
  constructor(error: string, description: string) {
    super(
      `The development provider showed an error: ${error}${description ? ` (${description})` : ''}`,
    );
    this.name = 'DevProviderPageError';
    this.error = error;
  }
}

/** Whether a URL is an authorization response (RFC 9207: `iss` plus `code` or `error`). */
function isAuthorizationResponse(url: string): boolean {
  const params = URL.parse(url)?.searchParams;
  return params?.has('iss') === true && (params.has('code') || params.has('error'));
}

/**
 * Watches a page's main frame without polling: document commits, the authorization response
 * request, page close. Every wait is bounded by one deadline.
 */
class PageTracker {
  commits = 0;
  response: Request | undefined;
  /** Value of {@link commits} when the authorization response was requested. */
  commitsAtResponse = 0;
  closed = false;
  failure: unknown;
  readonly #page: Page;
  readonly #deadline: number;
  readonly #wakers = new Set<() => void>();
  readonly #onRequest = (request: Request) => {
    if (
      this.response === undefined &&
      request.isNavigationRequest() &&
      request.frame() === this.#page.mainFrame() &&
      isAuthorizationResponse(request.url())
    ) {
      this.response = request;
      this.commitsAtResponse = this.commits;
      this.#wake();
    }
  };
  readonly #onCommit = (frame: unknown) => {
    if (frame === this.#page.mainFrame()) {
      this.commits += 1;
      this.#wake();
    }
  };
  readonly #onClose = () => {
    this.closed = true;
    this.#wake();
  };

  constructor(page: Page, timeoutMs: number) {
    this.#page = page;
    this.#deadline = Date.now() + timeoutMs;
    page.on('request', this.#onRequest);
    page.on('framenavigated', this.#onCommit);
    page.on('close', this.#onClose);
  }

  #wake(): void {
    for (const wake of this.#wakers) wake();
  }

  /** Records a failed navigation or action and wakes the waiters. */
  fail(error: unknown): void {
    this.failure ??= error;
    this.#wake();
  }

  /** Resolves when `ready()` holds; rejects at the deadline, on page close or on a failure. */
  until(ready: () => boolean, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ready()) return done(resolve);
        if (this.closed)
          return done(() => reject(new Error(`The page was closed while waiting for ${what}.`)));
        if (this.failure !== undefined) return done(() => reject(this.failure));
      };
      const timer = setTimeout(
        () =>
          done(() => reject(new Error(`Timed out waiting for ${what} (at ${this.#page.url()}).`))),
        Math.max(0, this.#deadline - Date.now()),
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#wakers.delete(check);
        settle();
      };
      this.#wakers.add(check);
      check();
    });
  }

  dispose(): void {
    this.#page.off('request', this.#onRequest);
    this.#page.off('framenavigated', this.#onCommit);
    this.#page.off('close', this.#onClose);
    this.#wakers.clear();
  }
}

type Step =
  | { page: 'consent' | 'device-confirm' | 'device-success' | 'logout' | 'logout-success' }
  | { page: 'login' | 'device-input'; error: string | undefined }
  | { page: 'error'; error: string; description: string }
  | { page: 'other' };

/** Which development provider page the main frame shows, read from its stable ids. */
async function currentStep(page: Page): Promise<Step> {
  try {
    await page.waitForLoadState('domcontentloaded');
    const found = await page.evaluate(() => {
      const main = document.querySelector('main[id^="authflow-"]');
      const error = document.querySelector('[data-error]');
      return {
        id: main?.id ?? '',
        error: error?.getAttribute('data-error') ?? undefined,
        description: document.querySelector('[data-error-description]')?.textContent ?? '',
      };
    });
    switch (found.id) {
      case 'authflow-login':
        return { page: 'login', error: found.error };
      case 'authflow-consent':
      case 'authflow-device-confirm':
      case 'authflow-device-success':
      case 'authflow-logout':
      case 'authflow-logout-success':
        return { page: found.id.slice('authflow-'.length) as 'consent' };
      case 'authflow-device-input':
        return { page: 'device-input', error: found.error };
      case 'authflow-error':
        return { page: 'error', error: found.error ?? 'unknown', description: found.description };
      default:
        return { page: 'other' };
    }
  } catch {
    // The document was replaced while we read it (a redirect or an auto-submitted form).
    return { page: 'other' };
  }
}

async function login(page: Page, username: string, error: string | undefined): Promise<void> {
  if (error !== undefined) throw new DevProviderPageError(error, 'the user name was refused');
  await page.fill('#authflow-login input[name="login"]', username);
  await page.click('#authflow-login-submit');
}

/**
 * Drives one sign-in at the development provider: opens `authorizeUrl` (the provider's
 * authorization URL, or an app URL that redirects there), types the user name, answers the
 * consent page, and resolves with the URL the provider sent the browser back to (the redirect
 * URI with `code`/`error`, `state` and `iss`).
 */
export async function signInAtDevProvider(
  page: Page,
  authorizeUrl: string,
  options: SignInOptions = {},
): Promise<string> {
  const {
    username = 'alice',
    consent = true,
    waitUntil = 'load',
    timeoutMs = DEFAULT_TIMEOUT_MS,
  } = options;
  const tracker = new PageTracker(page, timeoutMs);
  try {
    let seen = tracker.commits;
    page.goto(authorizeUrl, { waitUntil: 'commit', timeout: timeoutMs }).catch((error: unknown) => {
      // A failed load of the redirect target is the caller's business, not a failed sign-in.
      if (tracker.response === undefined) tracker.fail(error);
    });
    while (tracker.response === undefined) {
      await tracker.until(
        () => tracker.response !== undefined || tracker.commits > seen,
        'the provider page',
      );
      if (tracker.response !== undefined) break;
      seen = tracker.commits;
      const step = await currentStep(page);
      if (tracker.response !== undefined || tracker.commits > seen) continue;
      if (step.page === 'login') {
        await login(page, username, step.error);
      } else if (step.page === 'consent') {
        if (consent === false) return page.url();
        await page.click(consent === 'deny' ? '#authflow-deny' : '#authflow-approve');
      } else if (step.page === 'error') {
        throw new DevProviderPageError(step.error, step.description);
      }
      // Any other page: wait for the next document.
    }
    const callbackUrl = tracker.response.url();
    if (waitUntil === 'load') {
      await tracker.until(
        () => tracker.commits > tracker.commitsAtResponse,
        'the page after the redirect URI',
      );
      await page.waitForLoadState('load').catch(() => {});
    }
    return callbackUrl;
  } finally {
    tracker.dispose();
  }
}

/**
 * Drives the user's part of a device authorization (RFC 8628) at the development provider:
 * opens the verification page (`verification_uri_complete`, or `verification_uri` and the user
 * code), confirms the code, signs in and answers the consent page. Resolves when the provider
 * shows its final page.
 */
export async function signInDeviceFlow(
  page: Page,
  verification: string | { verificationUri: string; userCode: string },
  options: DeviceSignInOptions = {},
): Promise<DeviceSignInOutcome> {
  const {
    username = 'alice',
    consent = true,
    abort = false,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  } = options;
  const url = typeof verification === 'string' ? verification : verification.verificationUri;
  let userCode = typeof verification === 'string' ? undefined : verification.userCode;
  let answered: 'approve' | 'deny' | 'abort' | undefined;
  const tracker = new PageTracker(page, timeoutMs);
  try {
    let seen = tracker.commits;
    page
      .goto(url, { waitUntil: 'commit', timeout: timeoutMs })
      .catch((error: unknown) => tracker.fail(error));
    for (;;) {
      await tracker.until(() => tracker.commits > seen, 'the device flow page');
      seen = tracker.commits;
      const step = await currentStep(page);
      if (tracker.commits > seen) continue;
      switch (step.page) {
        case 'device-input':
          if (step.error === 'access_denied' && answered !== undefined) {
            return answered === 'abort' ? 'aborted' : 'denied';
          }
          if (step.error !== undefined || userCode === undefined) {
            throw new DevProviderPageError(
              step.error ?? 'invalid_user_code',
              'the user code was not accepted',
            );
          }
          await page.fill('#authflow-device-input input[name="user_code"]', userCode);
          userCode = undefined;
          await page.click('#authflow-device-submit');
          break;
        case 'device-confirm':
          answered = abort ? 'abort' : answered;
          await page.click(abort ? '#authflow-device-abort' : '#authflow-device-continue');
          break;
        case 'login':
          await login(page, username, step.error);
          break;
        case 'consent':
          if (consent === false)
            throw new Error('signInDeviceFlow: consent: false is not supported.');
          answered = consent === 'deny' ? 'deny' : 'approve';
          await page.click(consent === 'deny' ? '#authflow-deny' : '#authflow-approve');
          break;
        case 'device-success':
          return 'approved';
        case 'error':
          throw new DevProviderPageError(step.error, step.description);
        default:
          break;
      }
    }
  } finally {
    tracker.dispose();
  }
}

/**
 * Opens an end-session URL (RP-initiated logout) at the development provider, answers "Yes,
 * sign me out" and resolves with the URL the browser ends on (the `post_logout_redirect_uri`,
 * or the provider's "signed out" page).
 */
export async function signOutAtDevProvider(
  page: Page,
  endSessionUrl: string,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  await page.goto(endSessionUrl, { timeout });
  await page.waitForSelector('#authflow-logout, #authflow-logout-success', { timeout });
  if ((await currentStep(page)).page === 'logout') {
    const leftLogoutPage = (url: URL) =>
      !['/session/end', '/session/end/confirm'].includes(url.pathname);
    await Promise.all([
      page.waitForURL(leftLogoutPage, { timeout }),
      page.click('#authflow-logout-yes'),
    ]);
  }
  return page.url();
}
