import type pg from 'pg';

/** One sequence of a service database and what cutover did with it. */
export interface SequenceAdvance {
  readonly table: string;
  readonly column: string;
  readonly sequence: string;
  /** The largest value of the column (null: the table is empty). */
  readonly maxKey: string | null;
  /** The value the next nextval() returns after cutover. */
  readonly nextValue: string;
  /** Whether setval() was needed (false: the sequence was already past the largest key). */
  readonly advanced: boolean;
}

/**
 * Sequences owned by a column of the tables (serial and identity columns, pg_depend 'a' and 'i')
 * and sequences a column default calls nextval() on.
 */
const SEQUENCES_SQL = `
SELECT c.relname AS table, a.attname AS column, s.oid::regclass::text AS sequence
  FROM pg_depend d
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_class c ON c.oid = d.refobjid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
   AND n.nspname = 'public' AND c.relname = ANY($1::text[])
UNION
SELECT c.relname, a.attname, s.oid::regclass::text
  FROM pg_attrdef ad
  JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_class'::regclass
  JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
  JOIN pg_class c ON c.oid = ad.adrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ad.adnum
 WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
 ORDER BY 1, 2`;

/**
 * Sets every sequence of the tables past the largest value of its column, in one transaction.
 * Logical replication does not carry sequences, and the sidecar writes explicit keys, so until now
 * the service database's sequences were never used: without this, the service's first insert
 * without an explicit id would collide with a migrated row. A sequence already past is left alone.
 */
export async function advanceSequences(client: pg.ClientBase, tables: readonly string[]): Promise<readonly SequenceAdvance[]> {
  const found = await client.query<{ table: string; column: string; sequence: string }>(SEQUENCES_SQL, [tables]);
  const out: SequenceAdvance[] = [];
  await client.query('BEGIN');
  try {
    for (const { table, column, sequence } of found.rows) {
      const state = await client.query<{ max_key: string | null; last_value: string | null; start_value: string }>(
        `SELECT (SELECT max(${client.escapeIdentifier(column)})::text FROM public.${client.escapeIdentifier(table)}) AS max_key,
                pg_sequence_last_value($1::regclass)::text AS last_value,
                (SELECT seqstart::text FROM pg_sequence WHERE seqrelid = $1::regclass) AS start_value`,
        [sequence],
      );
      const row = state.rows[0];
      if (!row) continue;
      const max = row.max_key === null ? undefined : BigInt(row.max_key);
      const next = row.last_value === null ? BigInt(row.start_value) : BigInt(row.last_value) + 1n;
      if (max !== undefined && next <= max) {
        await client.query('SELECT setval($1::regclass, $2::bigint, true)', [sequence, max.toString()]);
        out.push({ table, column, sequence, maxKey: row.max_key, nextValue: (max + 1n).toString(), advanced: true });
      } else {
        out.push({ table, column, sequence, maxKey: row.max_key, nextValue: next.toString(), advanced: false });
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return out;
}
