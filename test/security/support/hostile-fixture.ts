/**
 * The hostile provider (test/helpers/hostile-provider.ts) as a node:test fixture for the
 * security tests, native and deploy alike. Not a test file itself.
 */
import { after, before, beforeEach } from 'node:test';
import {
  type HostileProvider,
  type HostileRoute,
  startHostileProvider,
} from '../../helpers/hostile-provider.js';

const ROUTES: HostileRoute[] = [
  'discovery',
  'jwks',
  'authorize',
  'token',
  'userinfo',
  'revocation',
  'introspection',
  'device',
  'end_session',
];

/**
 * node:test fixture: one hostile provider for the file, put back to its honest defaults
 * (metadata, JWKS, no overrides) before each test, so that what one test bends never leaks
 * into the next. Returns a getter for use inside tests.
 */
export function useHostileProvider(): () => HostileProvider {
  let op: HostileProvider | undefined;
  let metadata: Record<string, unknown> = {};
  let keys: HostileProvider['jwks']['keys'] = [];
  before(async () => {
    op = await startHostileProvider();
    metadata = structuredClone(op.metadata);
    keys = structuredClone(op.jwks.keys);
  });
  after(() => op?.close());
  beforeEach(() => {
    if (op === undefined) return;
    for (const key of Object.keys(op.metadata)) delete op.metadata[key];
    Object.assign(op.metadata, structuredClone(metadata));
    op.jwks.keys.splice(0, op.jwks.keys.length, ...structuredClone(keys));
    for (const route of ROUTES) op.override(route, null);
  });
  return () => {
    if (op === undefined) {
      throw new Error('useHostileProvider(): not started yet (use it inside tests).');
    }
    return op;
  };
}
