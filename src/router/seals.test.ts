import { describe, expect, it } from 'vitest';
import { parseLsn, type Lsn } from '../lsn.js';
import type { ServiceName } from '../../mappings/services.js';
import { applySealMessage, encodeSealMessage, holdSealed, NO_SEALS, sealedServices, sealsFrom, type ServiceSeals } from './seals.js';

const lsn = (text: string): Lsn => parseLsn(text);
const seals = (...entries: readonly [ServiceName, string][]): ServiceSeals => sealsFrom(entries.map(([s, l]) => [s, lsn(l)] as const));
const seal = (service: ServiceName): string => encodeSealMessage({ action: 'seal', slot: 'pgcarve', service });
const lift = (service: ServiceName): string => encodeSealMessage({ action: 'lift', slot: 'pgcarve', service });

describe('cutover seals', () => {
  it.each([
    ['no seals', NO_SEALS, '0/500', []],
    ['a transaction committing at the seal LSN is not sealed', seals(['freezone_db', '0/500']), '0/500', []],
    ['one after it is', seals(['freezone_db', '0/500']), '0/501', ['freezone_db']],
    ['one before it is not', seals(['freezone_db', '0/500']), '0/4FF', []],
    ['each service by its own seal', seals(['freezone_db', '0/500'], ['user_db', '0/900']), '0/600', ['freezone_db']],
  ] as const)('%s', (_name, given, at, expected) => {
    expect([...sealedServices(given, lsn(at))]).toEqual(expected);
  });

  it('holds sealed services of the table and reports each held change', () => {
    const heard: string[] = [];
    const held = holdSealed(new Set(['document_db']), seals(['freezone_db', '0/500']), ['freezone_db', 'scraper_db'], 'free_zones', lsn('0/600'), (s, t, l) => heard.push(`${s} ${t} ${l}`));
    expect([...held].sort()).toEqual(['document_db', 'freezone_db']);
    expect(heard).toEqual([`freezone_db free_zones ${lsn('0/600')}`]);
    expect(holdSealed(new Set(), seals(['user_db', '0/500']), ['freezone_db'], 'free_zones', lsn('0/600'), () => heard.push('x')).size).toBe(0);
    expect(heard).toHaveLength(1);
  });

  it('takes seal and lift messages in order; a second seal keeps the first; replays change nothing; others are ignored', () => {
    let s = applySealMessage(NO_SEALS, seal('freezone_db'), lsn('0/500'));
    expect(s).toEqual(seals(['freezone_db', '0/500']));
    expect(applySealMessage(s, seal('freezone_db'), lsn('0/700'))).toBe(s);
    expect(applySealMessage(s, 'not json', lsn('0/800'))).toBe(s);
    expect(applySealMessage(s, JSON.stringify({ v: 1, action: 'seal', slot: 'x', service: 'billing_db' }), lsn('0/800'))).toBe(s);
    s = applySealMessage(s, lift('freezone_db'), lsn('0/900'));
    expect(s.get('freezone_db')).toEqual([{ from: lsn('0/500'), until: lsn('0/900') }]);
    // Lifted: later transactions are applied again; the span still holds what it held, so a
    // stream replayed from before the lift (after a reconnect) does not apply them.
    expect([...sealedServices(s, lsn('0/901'))]).toEqual([]);
    expect([...sealedServices(s, lsn('0/600'))]).toEqual(['freezone_db']);
    expect(applySealMessage(s, seal('freezone_db'), lsn('0/500'))).toBe(s);
    expect(applySealMessage(s, lift('freezone_db'), lsn('0/900'))).toBe(s);
    // A second cutover seals again from its own LSN.
    s = applySealMessage(s, seal('freezone_db'), lsn('0/A00'));
    expect([...sealedServices(s, lsn('0/950'))]).toEqual([]);
    expect([...sealedServices(s, lsn('0/A01'))]).toEqual(['freezone_db']);
  });
});
