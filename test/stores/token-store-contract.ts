// The TokenStore contract (src/stores/types.ts) as a specification, run over every store by
// token-stores.test.ts. Each test gets a fresh, empty store from `open` and must not see what
// another test saved.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenStore } from '../../src/stores/types.js';
import type { OAuthTokenSet } from '../../src/tokens/token-set.js';

/** A store to test, and how to reach the same storage again. */
export interface StoreUnderTest {
  /** A new, empty store. */
  store: TokenStore;
  /**
   * A second instance over the same storage (another process, in effect). Absent for stores that
   * keep nothing outside their own instance (memory).
   */
  reopen?: () => TokenStore;
}

/** A token set with every field filled, so that a store dropping one is caught. */
export const fullSet = (n: number): OAuthTokenSet => ({
  accessToken: `access-${n}`,
  tokenType: 'Bearer',
  refreshToken: `refresh-${n}`,
  expiresIn: 3600,
  expiresAt: 1_700_003_600 + n,
  idToken: `header.payload-${n}.signature`,
  scope: 'openid profile offline_access',
  issuedAt: 1_700_000_000 + n,
  raw: { token_type: 'Bearer', custom: { nested: [n, 'x'] } },
});

/** Keys a store must keep apart from each other and from its own bookkeeping. */
export const ODD_KEYS = [
  '__proto__',
  'constructor',
  'toString',
  'a:b/c\\d',
  'with space',
  'ünïcødé-鍵',
  '*',
  '',
];

/** Registers the contract tests for one store. */
export function tokenStoreContract(name: string, open: () => Promise<StoreUnderTest>): void {
  describe(`TokenStore contract: ${name}`, () => {
    it('starts empty: nothing to load, nothing exists, no keys, nothing to delete', async () => {
      const { store } = await open();
      assert.equal(await store.load('alice'), undefined);
      assert.equal(await store.exists('alice'), false);
      assert.deepEqual(await store.listKeys(), []);
      assert.equal(await store.delete('alice'), false);
    });

    it('loads back exactly what was saved, every field', async () => {
      const { store } = await open();
      await store.save('alice', fullSet(1));
      assert.deepEqual(await store.load('alice'), fullSet(1));
      assert.equal(await store.exists('alice'), true);
      const minimal: OAuthTokenSet = { accessToken: 'a', tokenType: 'Bearer', issuedAt: 1 };
      await store.save('minimal', minimal);
      assert.deepEqual(await store.load('minimal'), minimal);
    });

    it('a save replaces the set under the key and leaves the other keys alone', async () => {
      const { store } = await open();
      await store.save('alice', fullSet(1));
      await store.save('bob', fullSet(2));
      await store.save('alice', { accessToken: 'new', tokenType: 'Bearer', issuedAt: 5 });
      assert.deepEqual(await store.load('alice'), {
        accessToken: 'new',
        tokenType: 'Bearer',
        issuedAt: 5,
      });
      assert.deepEqual(await store.load('bob'), fullSet(2));
      assert.deepEqual((await store.listKeys()).sort(), ['alice', 'bob']);
    });

    it('delete resolves true once, then false, and removes only its key', async () => {
      const { store } = await open();
      await store.save('alice', fullSet(1));
      await store.save('bob', fullSet(2));
      assert.equal(await store.delete('alice'), true);
      assert.equal(await store.delete('alice'), false);
      assert.equal(await store.load('alice'), undefined);
      assert.equal(await store.exists('alice'), false);
      assert.deepEqual(await store.listKeys(), ['bob']);
      assert.deepEqual(await store.load('bob'), fullSet(2));
    });

    it('keeps odd keys apart, each with its own set', async () => {
      const { store } = await open();
      for (const [i, key] of ODD_KEYS.entries()) await store.save(key, fullSet(i));
      for (const [i, key] of ODD_KEYS.entries()) {
        assert.deepEqual(await store.load(key), fullSet(i), `key ${JSON.stringify(key)}`);
        assert.equal(await store.exists(key), true, `key ${JSON.stringify(key)}`);
      }
      assert.deepEqual((await store.listKeys()).sort(), [...ODD_KEYS].sort());
      assert.equal(await store.load('other'), undefined, 'an unsaved key stays absent');
      for (const key of ODD_KEYS) assert.equal(await store.delete(key), true);
      assert.deepEqual(await store.listKeys(), []);
    });

    it('hands out copies: changing a loaded or a saved object changes nothing stored', async () => {
      const { store } = await open();
      const saved = fullSet(1);
      await store.save('alice', saved);
      saved.accessToken = 'changed-after-save';
      (saved.raw as { custom: { nested: unknown[] } }).custom.nested.push('changed');
      const loaded = await store.load('alice');
      assert.deepEqual(loaded, fullSet(1));
      if (loaded) loaded.refreshToken = 'changed-after-load';
      assert.deepEqual(await store.load('alice'), fullSet(1));
    });

    it('keeps every set when several keys are saved at once', async () => {
      const { store } = await open();
      const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
      await Promise.all(keys.map((key, i) => store.save(key, fullSet(i))));
      assert.deepEqual((await store.listKeys()).sort(), keys);
      for (const [i, key] of keys.entries()) assert.deepEqual(await store.load(key), fullSet(i));
    });

    it('a second instance over the same storage sees saves and deletes (when the store persists)', async () => {
      const { store, reopen } = await open();
      await store.save('alice', fullSet(1));
      await store.save('bob', fullSet(2));
      if (reopen === undefined) {
        // A memory store: a new instance is a new, empty store.
        assert.deepEqual((await store.listKeys()).sort(), ['alice', 'bob']);
        return;
      }
      const other = reopen();
      assert.deepEqual(await other.load('alice'), fullSet(1));
      assert.equal(await other.delete('bob'), true);
      assert.equal(await store.load('bob'), undefined);
      assert.deepEqual(await store.listKeys(), ['alice']);
    });
  });
}
