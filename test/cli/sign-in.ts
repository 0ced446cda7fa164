// Signs in through the CLI with headless Chromium doing the user's part at the dev provider:
// through the real binary (loginWithBrowser) or in-process (loginInProcess).
import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { signInAtDevProvider, withPage } from '../helpers/browser.js';
import type { DevProvider } from '../helpers/dev-provider.js';
import { type CliResult, devProviderFlags, startCli, waitForAuthorizeUrl } from './harness.js';
import { type InProcessOptions, startCommand } from './in-process.js';

/** Runs `authflow login --no-browser` against `dev` and signs in as `username` in Chromium. */
export async function loginWithBrowser(
  t: TestContext,
  browser: Browser,
  dev: DevProvider,
  env: NodeJS.ProcessEnv,
  { args = [], username = 'alice' }: { args?: string[]; username?: string } = {},
): Promise<CliResult> {
  const cli = startCli(t, ['login', '--no-browser', ...devProviderFlags(dev), ...args], env);
  const url = await waitForAuthorizeUrl(cli, dev.issuer);
  await withPage(browser, (page) => signInAtDevProvider(page, url, { username }));
  return cli.exit;
}

/** The same sign-in with `login` run in-process (in-process.ts) in config dir `dir`. */
export async function loginInProcess(
  t: TestContext,
  browser: Browser,
  dev: DevProvider,
  dir: string,
  {
    args = [],
    username = 'alice',
    ...options
  }: { args?: string[]; username?: string } & InProcessOptions = {},
): Promise<CliResult> {
  const login = startCommand(
    t,
    ['login', '--no-browser', ...devProviderFlags(dev), ...args],
    dir,
    options,
  );
  const url = await waitForAuthorizeUrl(login, dev.issuer);
  await withPage(browser, (page) => signInAtDevProvider(page, url, { username }));
  return login.exit;
}
