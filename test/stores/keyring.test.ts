// The OS keychain store on a real Secret Service (gnome-keyring on a private D-Bus): what it
// does beyond the TokenStore contract (token-stores.test.ts), and its timeouts. The CLI's use
// of it and its fallback to a file: test/cli/keychain.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StoreError } from '../../src/errors.js';
import { KeyringTokenStore } from '../../src/stores/keyring.js';
import { useSecretService, useSilentBus, withBus } from '../helpers/keyring.js';

const tokens = (accessToken: string) => ({
  accessToken,
  tokenType: 'Bearer',
  issuedAt: 1_700_000_000,
  expiresAt: 1_700_003_600,
});

describe('KeyringTokenStore on a real Secret Service', () => {
  const bus = useSecretService();

  test('saves, loads, lists and deletes token sets in the keychain', async () => {
    await withBus(bus(), async () => {
      const store = new KeyringTokenStore({ service: 'authflow-test', keyPrefix: 'a:' });
      const other = new KeyringTokenStore({ service: 'authflow-test', keyPrefix: 'b:' });
      try {
        assert.equal(await store.probe(), undefined);
        assert.equal(await store.load('alice'), undefined);
        await store.save('alice', tokens('at-1'));
        await store.save('bob', tokens('at-2'));
        await other.save('alice', tokens('other'));
        assert.deepEqual(await store.load('alice'), tokens('at-1'));
        assert.equal(await store.exists('bob'), true);
        assert.deepEqual(await store.listKeys(), ['alice', 'bob']);
        assert.deepEqual(await other.listKeys(), ['alice']);
        assert.equal(await store.delete('alice'), true);
        assert.equal(await store.delete('alice'), false);
        assert.equal(await store.load('alice'), undefined);
        assert.deepEqual((await other.load('alice'))?.accessToken, 'other');

        await store.saveSecret('a:corrupt', 'not json');
        await assert.rejects(store.load('corrupt'), (error: unknown) => {
          assert.ok(error instanceof StoreError);
          assert.equal(error.code, 'store_error');
          assert.match(error.message, /not a token set/);
          return true;
        });
        await store.deleteSecret('a:corrupt');
        await store.delete('bob');
        await other.delete('alice');
      } finally {
        store.close();
        other.close();
      }
    });
  });
});

describe('KeyringTokenStore on a D-Bus that never answers', () => {
  test('calls time out, and later calls fail at once', async (t) => {
    await withBus(await useSilentBus(t), async () => {
      const store = new KeyringTokenStore({ timeoutMs: 800 });
      try {
        const first = await store.load('x').then(
          () => assert.fail('a silent bus cannot load'),
          (error: unknown) => error,
        );
        assert.ok(first instanceof StoreError);
        assert.equal(first.code, 'store_error');
        assert.match(first.message, /did not answer within 800 ms/);
        // The store gave up on the bus: a later call fails with that same error, asking nothing.
        await assert.rejects(store.save('x', tokens('t')), (error) => error === first);
      } finally {
        store.close();
      }
    });
  });
});
