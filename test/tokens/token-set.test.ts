import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isTokenExpired,
  mergeRefreshedTokens,
  type OAuthTokenSet,
  parseTokenSet,
  redactTokenSet,
} from '../../src/tokens/token-set.js';

const base: OAuthTokenSet = {
  accessToken: 'at-1',
  tokenType: 'Bearer',
  refreshToken: 'rt-1',
  issuedAt: 1000,
  expiresIn: 3600,
  expiresAt: 4600,
};

describe('token set helpers', () => {
  it('treats a token as expired within the buffer', () => {
    assert.equal(isTokenExpired(base, 0, 4599), false);
    assert.equal(isTokenExpired(base, 0, 4600), true);
    assert.equal(isTokenExpired(base, 60, 4541), true);
    assert.equal(isTokenExpired({ ...base, expiresAt: undefined }, 60, 1e12), false);
  });

  it('keeps the old refresh token when a refresh response has none', () => {
    const merged = mergeRefreshedTokens(base, {
      accessToken: 'at-2',
      tokenType: 'Bearer',
      issuedAt: 2000,
    });
    assert.equal(merged.refreshToken, 'rt-1');
    assert.equal(merged.accessToken, 'at-2');
    const rotated = mergeRefreshedTokens(base, {
      ...base,
      accessToken: 'at-3',
      refreshToken: 'rt-2',
    });
    assert.equal(rotated.refreshToken, 'rt-2');
  });

  it('redacts every secret', () => {
    const text = JSON.stringify(redactTokenSet({ ...base, idToken: 'id-secret' }));
    assert.doesNotMatch(text, /at-1|rt-1|id-secret/);
  });

  it('rejects values that are not token sets', () => {
    assert.equal(parseTokenSet(null), undefined);
    assert.equal(parseTokenSet([]), undefined);
    assert.equal(parseTokenSet({ accessToken: '', tokenType: 'Bearer', issuedAt: 1 }), undefined);
    assert.equal(parseTokenSet({ ...base, expiresAt: '5' }), undefined);
    assert.deepEqual(parseTokenSet(base), base);
  });
});
