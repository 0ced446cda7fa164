// Signs in through the CLI with headless Chromium doing the user's part at the dev provider.
import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import { signInAtDevProvider, withPage } from '../helpers/browser.js';
import type { DevProvider } from '../helpers/dev-provider.js';
import { type CliResult, devProviderFlags, startCli, waitForAuthorizeUrl } from './harness.js';

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
