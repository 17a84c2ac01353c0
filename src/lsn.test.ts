import { describe, expect, it } from 'vitest';
import { formatLsn, lsnDistance, parseLsn } from './lsn.js';

describe('lsn', () => {
  it.each([
    ['0/0', 0n],
    ['0/16B3748', 0x16b3748n],
    ['00000000/016B3748', 0x16b3748n],
    ['16/B374D848', (0x16n << 32n) | 0xb374d848n],
    ['FFFFFFFF/FFFFFFFF', 0xffff_ffff_ffff_ffffn],
  ])('parses %s', (text, value) => {
    expect(parseLsn(text)).toBe(value);
  });

  it('formats as the server does, unpadded', () => {
    expect(formatLsn(parseLsn('00000001/0000000A'))).toBe('1/A');
  });

  it('orders numerically, not as strings', () => {
    // As strings "0/9" > "0/10"; as LSNs 0/9 < 0/10.
    expect(parseLsn('0/9') < parseLsn('0/10')).toBe(true);
    expect(parseLsn('0/FFFFFFFF') < parseLsn('1/0')).toBe(true);
  });

  it.each(['', '0', '0/', '/0', '0/1/2', 'G/0', '123456789/0'])('rejects %j', (text) => {
    expect(() => parseLsn(text)).toThrow(/not an LSN/);
  });

  it('measures distance, never negative', () => {
    expect(lsnDistance(parseLsn('1/0'), parseLsn('0/FFFFFFFF'))).toBe(1);
    expect(lsnDistance(parseLsn('0/1'), parseLsn('0/2'))).toBe(0);
  });
});
