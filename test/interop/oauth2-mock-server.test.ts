// Issue 12: the interop scenarios against oauth2-mock-server (npm).
import { startOAuth2Mock } from './support/oauth2-mock.js';
import { interopSuite } from './support/scenarios.js';

interopSuite('oauth2-mock-server', startOAuth2Mock);
