import { describe, expect, it } from 'vitest';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { SourceValue } from '../values.js';
import { collapse } from './collapse.js';
import type { TargetOp } from './target-op.js';

const keyOf = (): readonly string[] => ['id'];
const upsert = (row: Readonly<Record<string, SourceValue>>): TargetOp => ({ kind: 'upsert', table: 'm', source: 'messages', row, op: 'update' });
const del = (id: string): TargetOp => ({ kind: 'delete', table: 'm', source: 'messages', key: { id }, op: 'delete' });
const truncate: TargetOp = { kind: 'truncate', table: 'm', source: 'messages', op: 'truncate' };

/** What collapse leaves for table m, as plain data. */
function net(ops: readonly TargetOp[]): unknown {
  const t = collapse(ops, keyOf).get('m');
  return t && { truncate: t.truncate, deletes: [...t.deletes.values()], upserts: [...t.upserts.values()], partials: [...t.partials.values()] };
}

describe('collapse', () => {
  it.each<[string, readonly TargetOp[], unknown]>([
    ['the last full upsert wins', [upsert({ id: '1', c: 'a', n: '1' }), upsert({ id: '1', c: 'b', n: '2' })], { truncate: false, deletes: [], upserts: [{ id: '1', c: 'b', n: '2' }], partials: [] }],
    ['a delete after an upsert deletes', [upsert({ id: '1', c: 'a', n: '1' }), del('1')], { truncate: false, deletes: [{ id: '1' }], upserts: [], partials: [] }],
    ['a full upsert after a delete re-inserts', [del('1'), upsert({ id: '1', c: 'a', n: '1' })], { truncate: false, deletes: [], upserts: [{ id: '1', c: 'a', n: '1' }], partials: [] }],
    ['a partial upsert merges into an earlier full one', [upsert({ id: '1', c: 'a', n: '1' }), upsert({ id: '1', c: undefined, n: '2' })], { truncate: false, deletes: [], upserts: [{ id: '1', c: 'a', n: '2' }], partials: [] }],
    ['partial upserts merge', [upsert({ id: '1', c: undefined, n: '1' }), upsert({ id: '1', c: undefined, n: '2' })], { truncate: false, deletes: [], upserts: [], partials: [{ id: '1', c: undefined, n: '2' }] }],
    ['a partial upsert on a key the batch did not delete stays partial', [del('2'), upsert({ id: '1', c: undefined, n: '5' })], { truncate: false, deletes: [{ id: '2' }], upserts: [], partials: [{ id: '1', c: undefined, n: '5' }] }],
    ['a truncate discards what came before', [upsert({ id: '1', c: 'a', n: '1' }), del('2'), truncate], { truncate: true, deletes: [], upserts: [], partials: [] }],
  ])('%s', (_, ops, expected) => {
    expect(net(ops)).toEqual(expected);
  });

  it('refuses a partial upsert onto a key deleted earlier in the run (a key change without REPLICA IDENTITY FULL)', () => {
    // DELETE … WHERE id = 2; UPDATE … SET id = 2 WHERE id = 1 under REPLICA IDENTITY DEFAULT, c TOASTed.
    const ops = [del('2'), upsert({ id: '2', c: undefined, n: '5' }), del('1')];
    let error: unknown;
    try {
      collapse(ops, keyOf);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PgcarveError);
    expect((error as PgcarveError).kind).toBe('needs_replica_identity_full');
    expect((error as PgcarveError).message).toMatch(/legacy table messages: .*target table m at \(id=2\).* column\(s\) c .*REPLICA IDENTITY FULL on the legacy table messages/);
  });

  it('also when the deleted key had been upserted before in the run', () => {
    expect(() => collapse([upsert({ id: '2', c: 'b', n: '1' }), del('2'), upsert({ id: '2', c: undefined, n: '5' })], keyOf)).toThrow(/REPLICA IDENTITY FULL/);
  });
});
