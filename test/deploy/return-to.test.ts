import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { safeReturnTo } from '../../src/deploy/return-to.js';

const origin = 'https://app.example.com';

describe('returnTo validation (open redirects)', () => {
  it('keeps same-origin relative paths, normalised', () => {
    assert.equal(safeReturnTo('/', origin), '/');
    assert.equal(safeReturnTo('/dashboard?tab=2#top', origin), '/dashboard?tab=2#top');
    assert.equal(safeReturnTo('/search?q=a%20b', origin), '/search?q=a%20b');
    assert.equal(safeReturnTo('/a/../b', origin), '/b');
  });

  const rejected: Record<string, string> = {
    'protocol-relative': '//evil.example',
    'backslash host': '/\\evil.example',
    'backslash after slash pair': '\\\\evil.example',
    'absolute https': 'https://evil.example/',
    'absolute same origin': 'https://app.example.com/x',
    'javascript scheme': 'javascript:alert(1)',
    'data scheme': 'data:text/html,hi',
    'tab inside //': '/\t/evil.example',
    'newline inside //': '/\n/evil.example',
    'carriage return': '/\r/evil.example',
    'leading space': ' /path',
    'NUL byte': '/path\u0000',
    'DEL byte': '/path\u007f',
    'non-ASCII': '/päth',
    'encoded //': '%2F%2Fevil.example',
    'encoded second slash': '/%2Fevil.example',
    'encoded backslash': '/%5Cevil.example',
    'double-encoded second slash': '/%252Fevil.example',
    'encoded tab': '/%09/evil.example',
    'dot segment that normalises into an encoded //': '/./%2F..',
    'dot segments before an encoded slash': '/a/../%2Fevil.example',
    'encoded scheme': 'https%3A%2F%2Fevil.example',
    'malformed percent': '/%E0%A4%A',
    'non-UTF-8 percent': '/%FF',
    'relative without slash': 'evil.example',
    empty: '',
    'too long': `/${'a'.repeat(5000)}`,
  };
  for (const [name, value] of Object.entries(rejected)) {
    it(`rejects ${name}`, () => {
      assert.equal(safeReturnTo(value, origin), undefined);
    });
  }

  it('never accepts anything that leaves the origin (fuzzed)', () => {
    const pieces = fc.constantFrom(
      '/',
      '\\',
      '//',
      '%2F',
      '%5C',
      '%09',
      '\t',
      ':',
      'evil',
      '.',
      '@',
      '?',
      '#',
      '%25',
      'a',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string()), { maxLength: 8 }), (parts) => {
        const result = safeReturnTo(parts.join(''), origin);
        if (result === undefined) return true;
        const url = new URL(result, origin);
        return (
          url.origin === origin &&
          result.startsWith('/') &&
          !result.startsWith('//') &&
          !/[\\\s]/.test(result)
        );
      }),
      { numRuns: 5000 },
    );
  });
});
