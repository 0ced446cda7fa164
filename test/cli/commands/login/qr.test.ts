import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode } from 'uqr';
import { terminalQrCode } from '../../../../src/cli/commands/login/qr.js';

describe('terminal QR code', () => {
  it('draws the whole code, two module rows per line, with a quiet border', async () => {
    const url = 'http://127.0.0.1:4000/device?user_code=ABCD-EFGH';
    const qr = await terminalQrCode(url);
    const { size } = encode(url, { border: 2 });
    const lines = qr.split('\n').filter((line) => line.length > 0);
    assert.equal(lines.length, Math.ceil(size / 2));
    for (const line of lines) assert.equal([...line].length, size);
    assert.match(qr, /[█▀▄]/);
    assert.doesNotMatch(qr, /ABCD/, 'the code is drawn, not printed');
  });
});
