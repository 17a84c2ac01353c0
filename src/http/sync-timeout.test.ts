import { describe, expect, it } from 'vitest';
import { parseSyncTimeout } from './sync-timeout.js';

describe('the timeout of GET /sync', () => {
  it.each([
    [undefined, 30],
    ['0', 0],
    ['1.5', 1.5],
    ['300', 300],
    [' 12 ', 12],
  ])('accepts %j as %d seconds', (value, seconds) => {
    expect(parseSyncTimeout(value)).toEqual({ ok: true, seconds });
  });

  it.each([
    ['', /a number of seconds from 0 to 300, got ""/],
    ['abc', /got "abc"/],
    ['-1', /a number of seconds/],
    ['1e3', /a number of seconds/],
    ['Infinity', /a number of seconds/],
    ['301', /at most 300 seconds/],
    [['1', '2'], /given once/],
    [{ a: '1' }, /given once/],
  ])('rejects %j with the reason', (value, reason) => {
    const parsed = parseSyncTimeout(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
