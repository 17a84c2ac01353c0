import type pg from 'pg';
import { PgcarveError } from '../errors/pgcarve-error.js';

/** A target table as the target database has it: column types (for casts) and primary key. */
export interface TableShape {
  readonly name: string;
  /** Column name → SQL type as format_type() prints it (e.g. "timestamp with time zone", "text[]"). */
  readonly types: ReadonlyMap<string, string>;
  /** Primary-key columns in key order. */
  readonly key: readonly string[];
}

const SHAPES_SQL = `
SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
       array_position(i.indkey::int2[], a.attnum) AS key_position
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])
 ORDER BY c.relname, a.attnum`;

/** Reads the shapes of `tables` from the target; a missing table or key is an operator error. */
export async function loadTableShapes(client: pg.ClientBase, service: string, tables: readonly string[]): Promise<ReadonlyMap<string, TableShape>> {
  const result = await client.query<{ table: string; column: string; type: string; key_position: number | null }>(SHAPES_SQL, [tables]);
  const shapes = new Map<string, { types: Map<string, string>; key: { column: string; position: number }[] }>();
  for (const row of result.rows) {
    let shape = shapes.get(row.table);
    if (!shape) shapes.set(row.table, (shape = { types: new Map(), key: [] }));
    shape.types.set(row.column, row.type);
    if (row.key_position !== null) shape.key.push({ column: row.column, position: row.key_position });
  }
  const out = new Map<string, TableShape>();
  for (const table of tables) {
    const shape = shapes.get(table);
    if (!shape) throw new PgcarveError('table_missing', `${service} has no table public.${table}: run \`pgcarve migrate\` first`);
    if (shape.key.length === 0) throw new PgcarveError('table_missing', `${service}.public.${table} has no primary key: run \`pgcarve migrate\` (the schema differs from pgcarve's)`);
    out.set(table, { name: table, types: shape.types, key: shape.key.sort((a, b) => a.position - b.position).map((k) => k.column) });
  }
  return out;
}
