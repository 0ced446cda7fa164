/**
 * Native-mode sign-in against the embedded development provider: a loopback server,
 * the provider's login page in your browser, tokens stored in memory.
 *
 *   npm run example:native            # opens the system browser
 *   npm run example:native -- --print # only prints the URL (open it yourself)
 */

import {
  AuthFlowManager,
  GenericOIDCProvider,
  MemoryTokenStore,
  redactTokenSet,
  systemBrowserWindow,
} from 'authflow';
import { startDevProvider } from 'authflow/dev';

const dev = await startDevProvider();
try {
  console.log(`Development provider: ${dev.issuer} (any user name signs in)`);
  const provider = new GenericOIDCProvider({
    clientId: dev.clientId,
    issuerUrl: dev.issuer,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
  });
  const manager = new AuthFlowManager({ provider, tokenStore: new MemoryTokenStore() });
  const result = await manager.runNative({
    showWindow: systemBrowserWindow({ printOnly: process.argv.includes('--print') }),
  });
  console.log(`Signed in as ${String(result.userInfo?.sub)}`);
  console.log('Tokens (redacted):', result.tokens && redactTokenSet(result.tokens));
} finally {
  await dev.close();
}
