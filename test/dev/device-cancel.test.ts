// Issue 10: Ctrl-C during the device flow must stop the poll at once, not at the end of
// openid-client's current wait (up to 5 s).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AuthFlowCancelled } from '../../src/errors.js';
import { createProvider } from '../../src/providers/index.js';
import { useDevProvider } from '../helpers/dev-provider.js';

describe('device flow cancellation', () => {
  const dev = useDevProvider({ devicePollInterval: 5 });

  it('device poll rejects as cancelled in the same turn as the abort', async () => {
    const provider = createProvider({
      provider: 'oidc',
      issuerUrl: dev().issuer,
      clientId: dev().clientId,
      scopes: ['openid'],
    });
    const authorization = await provider.startDeviceAuthorization?.();
    assert.ok(authorization);
    const controller = new AbortController();
    const state: { outcome: unknown } = { outcome: 'pending' };
    const current = (): unknown => state.outcome;
    const polling = authorization.poll(controller.signal).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    polling.then((value) => {
      state.outcome = value;
    });
    await nextTurn();
    assert.equal(state.outcome, 'pending', 'still waiting for the user');
    controller.abort(new Error('Ctrl-C'));
    // No timers: only already-queued callbacks run before these turns end.
    for (let i = 0; i < 5; i++) await nextTurn();
    assert.ok(
      current() instanceof AuthFlowCancelled,
      `settled as cancelled, got ${String(current())}`,
    );
    assert.equal(dev().tokenRequests.device_code, 0, 'no poll was sent');
  });
});
