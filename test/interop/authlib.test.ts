// Issue 12: the interop scenarios against a Python authorization server built on authlib.
import { startAuthlib } from './support/authlib.js';
import { interopSuite } from './support/scenarios.js';

interopSuite('authlib', () => startAuthlib());
