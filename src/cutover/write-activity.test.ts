import { describe, expect, it } from 'vitest';
import { describeWrites, writesBetween, type TableWrites } from './write-activity.js';

const counters = (...rows: readonly TableWrites[]): ReadonlyMap<string, TableWrites> => new Map(rows.map((r) => [r.table, r]));
const w = (table: string, inserts: number, updates: number, deletes: number): TableWrites => ({ table, inserts, updates, deletes });

describe('writes between two readings of pg_stat_user_tables', () => {
  it.each([
    ['nothing moved', [w('users', 5, 2, 1)], [w('users', 5, 2, 1)], []],
    ['inserts and deletes', [w('users', 5, 2, 1), w('roles', 1, 0, 0)], [w('users', 8, 2, 3), w('roles', 1, 0, 0)], [w('users', 3, 0, 2)]],
    ['a table new to the statistics', [], [w('roles', 0, 4, 0)], [w('roles', 0, 4, 0)]],
    ['statistics reset: counts as written', [w('users', 50, 0, 0)], [w('users', 0, 0, 0)], [w('users', 1, 0, 0)]],
  ])('%s', (_name, before, after, expected) => {
    expect(writesBetween(counters(...before), counters(...after))).toEqual(expected);
  });

  it('describes them for the operator', () => {
    expect(describeWrites([w('users', 3, 0, 2), w('roles', 0, 1, 0)])).toBe('users (3 inserted, 0 updated, 2 deleted), roles (0 inserted, 1 updated, 0 deleted)');
  });
});
