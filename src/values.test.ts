import { describe, expect, it } from 'vitest';
import { keyString } from './values.js';

describe('keyString', () => {
  it('is equal exactly when the key values are', () => {
    const keys = [
      keyString({ id: '1' }, ['id']),
      keyString({ id: null }, ['id']),
      keyString({ id: 'null' }, ['id']),
      keyString({ id: '' }, ['id']),
      keyString({ a: '1', b: '2' }, ['a', 'b']),
      keyString({ a: '1,2', b: '' }, ['a', 'b']),
      keyString({ a: '1', b: null }, ['a', 'b']),
      keyString({ a: null, b: '1' }, ['a', 'b']),
      keyString({ a: '["1","2"]', b: null }, ['a', 'b']),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(keyString({ a: '1', b: '2', other: 'x' }, ['a', 'b'])).toBe(keyString({ b: '2', a: '1' }, ['a', 'b']));
  });
});
