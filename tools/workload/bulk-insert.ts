import type pg from 'pg';

/** A column of a bulk insert: its name and the SQL type its text value is cast to. */
export interface BulkColumn {
  readonly name: string;
  readonly type: string;
}

/** One row: the text form of each value (as PostgreSQL would print it), or null. */
export type TextRow = readonly (string | null)[];

const ROWS_PER_STATEMENT = 2_000;

/**
 * Inserts rows with one statement per 2,000 rows: each column travels as one text[] parameter,
 * unnested and cast server-side, so every value keeps its exact text form (bigints beyond 2^53,
 * microseconds, numerics) and no JavaScript number is involved. Returns the number of rows.
 */
export async function bulkInsert(client: pg.ClientBase, table: string, columns: readonly BulkColumn[], rows: readonly TextRow[]): Promise<number> {
  const names = columns.map((c) => client.escapeIdentifier(c.name));
  const aliases = columns.map((_, i) => `c${i}`);
  const sql =
    `INSERT INTO public.${client.escapeIdentifier(table)} (${names.join(', ')}) ` +
    `SELECT ${columns.map((c, i) => `${aliases[i]}::${c.type}`).join(', ')} ` +
    `FROM unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS u(${aliases.join(', ')})`;
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const params = columns.map((_, i) => chunk.map((row) => row[i] ?? null));
    await client.query(sql, params);
  }
  return rows.length;
}

/** Moves a table's id sequence past its largest id, as the application's own inserts would have. */
export async function syncSequence(client: pg.ClientBase, table: string): Promise<void> {
  const qualified = `public.${client.escapeIdentifier(table)}`;
  await client.query(`SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT coalesce(max(id), 0) + 1 FROM ${qualified}), false)`, [qualified]);
}
