// Issue 12: the interop scenarios against Glewlwyd (Debian package, an OpenID provider in C).
import { startGlewlwyd } from './support/glewlwyd.js';
import { interopSuite } from './support/scenarios.js';

interopSuite('glewlwyd', () => startGlewlwyd());
