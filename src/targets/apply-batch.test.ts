import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../../test/harness/databases.js';
import { BatchApplier } from './apply-batch.js';
import { loadTableShapes } from './table-shape.js';
import type { TargetOp } from './target-op.js';

/**
 * Both write paths of the applier (unnest for small groups, COPY through a staging table for
 * large ones) must store every value exactly: the text PostgreSQL prints back equals the text
 * given, whatever characters it holds.
 */
const NASTY = ['plain', '', ' ', 'tab\there', 'new\nline', 'cr\rlf\r\n', 'back\\slash', '\\N', 'NULL', 'quote "x" \'y\'', 'Ω 🚀 e\u0301 محمد', '{braces,comma}'];

let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: await createEmptyDatabase(undefined, 'apply'), types: { getTypeParser: () => (v: string) => v } });
  await client.connect();
  await client.query(`SET TIME ZONE 'UTC'; CREATE TABLE t (id bigint PRIMARY KEY, txt text, doc jsonb, tags text[], at timestamptz, amount numeric(12,2))`);
});
afterAll(async () => {
  await client?.end();
});

function rows(count: number, offset: number): Record<string, string | null>[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + offset;
    const text = NASTY[n % NASTY.length] ?? '';
    return {
      id: String(9_007_199_254_740_993n + BigInt(n)),
      txt: n % 13 === 0 ? null : `${text}#${n}`,
      doc: JSON.stringify({ v: text, n }),
      tags: `{"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}",NULL,"x"}`,
      at: `2024-01-01 00:00:00.${String(n % 1_000_000).padStart(6, '0')}+00`,
      amount: n % 7 === 0 ? null : `${n}.05`,
    };
  });
}

describe('BatchApplier writes values exactly', () => {
  it.each([
    ['unnest (small group)', 40, 0],
    ['COPY through a staging table (large group)', 600, 1000],
  ])('%s', async (_name, count, offset) => {
    const applier = new BatchApplier('test', await loadTableShapes(client, 'test', ['t']));
    const input = rows(count, offset);
    const ops: TargetOp[] = input.map((row) => ({ kind: 'upsert', table: 't', source: 's', row, op: 'insert' }));
    await client.query('BEGIN');
    await applier.apply(client, ops);
    // Applying the same batch again (a retry) changes nothing.
    await applier.apply(client, ops);
    await client.query('COMMIT');
    const stored = await client.query<Record<string, string | null>>(
      `SELECT id::text, txt, doc::text, tags::text, at::text, amount::text FROM t WHERE id >= $1 AND id < $2 ORDER BY id`,
      [input[0]?.id, String(9_007_199_254_740_993n + BigInt(offset + count))],
    );
    const expected = await client.query<Record<string, string | null>>(
      `SELECT c.id::text AS id, c.txt, c.doc::text AS doc, c.tags::text AS tags, c.at::text AS at, c.amount::text AS amount
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(id, txt, doc, tags, at, amount)
        CROSS JOIN LATERAL (SELECT u.id::bigint, u.txt, u.doc::jsonb, u.tags::text[], u.at::timestamptz, u.amount::numeric(12,2)) AS c(id, txt, doc, tags, at, amount) ORDER BY c.id`,
      ['id', 'txt', 'doc', 'tags', 'at', 'amount'].map((c) => input.map((r) => r[c] ?? null)),
    );
    expect(stored.rows).toHaveLength(count);
    expect(stored.rows).toEqual(expected.rows);
    expect(stored.rows.map((r) => r.txt)).toEqual(input.map((r) => r.txt));
  });

  it('a rolled-back transaction that used the staging table leaves the next one working', async () => {
    const applier = new BatchApplier('test', await loadTableShapes(client, 'test', ['t']));
    const ops = (offset: number): TargetOp[] => rows(300, offset).map((row) => ({ kind: 'upsert', table: 't', source: 's', row, op: 'insert' }));
    await client.query('BEGIN');
    await applier.apply(client, ops(5000));
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    await applier.apply(client, ops(6000));
    await client.query('COMMIT');
    const [count] = (await client.query<{ n: string }>(`SELECT count(*) AS n FROM t WHERE id >= 9007199254745993`)).rows;
    expect(count?.n).toBe('300');
  });

  it('copy-into-table (backfill into emptied tables) stores exactly what upsert stores', async () => {
    const applier = new BatchApplier('test', await loadTableShapes(client, 'test', ['t']));
    const upserted = rows(400, 20_000);
    const copied = rows(400, 20_000).map((r, i) => ({ ...r, id: String(9_007_199_254_780_993n + BigInt(i)) }));
    const ops = (input: readonly Record<string, string | null>[]): TargetOp[] => input.map((row) => ({ kind: 'upsert', table: 't', source: 's', row, op: 'insert' }));
    await client.query('BEGIN');
    await applier.apply(client, ops(upserted), 'upsert');
    await applier.apply(client, ops(copied), 'copy-into-table');
    await client.query('COMMIT');
    const read = async (from: bigint) =>
      (await client.query<Record<string, string | null>>(`SELECT txt, doc::text, tags::text, at::text, amount::text FROM t WHERE id >= $1 AND id < $2 ORDER BY id`, [String(from), String(from + 400n)])).rows;
    const viaUpsert = await read(9_007_199_254_740_993n + 20_000n);
    expect(viaUpsert).toHaveLength(400);
    expect(await read(9_007_199_254_780_993n)).toEqual(viaUpsert);
  });

  it('copy-into-table fails on a key that exists (the caller then rolls back and upserts)', async () => {
    const applier = new BatchApplier('test', await loadTableShapes(client, 'test', ['t']));
    const input = rows(3, 30_000);
    const ops: TargetOp[] = input.map((row) => ({ kind: 'upsert', table: 't', source: 's', row, op: 'insert' }));
    await client.query('BEGIN');
    await applier.apply(client, ops.slice(0, 1), 'copy-into-table');
    await expect(applier.apply(client, ops, 'copy-into-table')).rejects.toThrow(/duplicate key|unique/i);
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    await applier.apply(client, ops.slice(0, 1), 'copy-into-table');
    await applier.apply(client, ops, 'upsert');
    await client.query('COMMIT');
    const [count] = (await client.query<{ n: string }>(`SELECT count(*) AS n FROM t WHERE id >= $1 AND id < $2`, [input[0]?.id, String(9_007_199_254_740_993n + 30_003n)])).rows;
    expect(count?.n).toBe('3');
  });
});
