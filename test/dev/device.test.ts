import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as client from 'openid-client';
import { signInDeviceFlow, useBrowser, withPage } from '../helpers/browser.js';
import { useDevProvider } from '../helpers/dev-provider.js';

describe('development provider: device authorization grant in Chromium', () => {
  const browser = useBrowser();
  const dev = useDevProvider();

  async function config(): Promise<client.Configuration> {
    const configuration = await client.discovery(
      new URL(dev().issuer),
      dev().clientId,
      undefined,
      client.None(),
      {
        execute: [client.allowInsecureRequests],
      },
    );
    client.enableNonRepudiationChecks(configuration);
    return configuration;
  }

  it('signs in with the code filled in (verification_uri_complete) and issues tokens', async () => {
    const configuration = await config();
    dev().resetCounters();
    const authorization = await client.initiateDeviceAuthorization(configuration, {
      scope: 'openid profile email',
    });
    assert.equal(authorization.interval, 1);
    assert.equal(authorization.verification_uri, dev().deviceVerificationUrl);
    assert.match(authorization.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
    const polling = client.pollDeviceAuthorizationGrant(configuration, authorization);
    await withPage(browser(), async (page) => {
      const outcome = await signInDeviceFlow(
        page,
        authorization.verification_uri_complete as string,
        {
          username: 'dana',
        },
      );
      assert.equal(outcome, 'approved');
    });
    const tokens = await polling;
    assert.equal(tokens.claims()?.sub, 'dana');
    assert.equal(tokens.claims()?.email, 'dana@example.test');
    assert.ok(tokens.refresh_token, 'a refresh token is issued');
    assert.ok(dev().tokenRequests.device_code >= 1, 'polls are counted');
    assert.equal(dev().tokenRequests.total, dev().tokenRequests.device_code);
  });

  it('refuses a wrong user code, then takes the typed code; denying ends the poll with access_denied', async () => {
    const configuration = await config();
    const authorization = await client.initiateDeviceAuthorization(configuration, {
      scope: 'openid',
    });
    const polling = client.pollDeviceAuthorizationGrant(configuration, authorization);
    polling.catch(() => {});
    await withPage(browser(), async (page) => {
      await assert.rejects(
        signInDeviceFlow(page, {
          verificationUri: dev().deviceVerificationUrl,
          userCode: 'BCDF-GHJK',
        }),
        /invalid_user_code/,
      );
      const outcome = await signInDeviceFlow(
        page,
        { verificationUri: authorization.verification_uri, userCode: authorization.user_code },
        { consent: 'deny' },
      );
      assert.equal(outcome, 'denied');
    });
    await assert.rejects(polling, (error: client.ResponseBodyError) => {
      assert.equal(error.error, 'access_denied');
      return true;
    });
  });
});
