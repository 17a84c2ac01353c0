import type pg from 'pg';

/** Rows written to one legacy table, from pg_stat_user_tables (cumulative counters). */
export interface TableWrites {
  readonly table: string;
  readonly inserts: number;
  readonly updates: number;
  readonly deletes: number;
}

/**
 * The write counters of `tables` now. PostgreSQL's statistics lag a little (each backend reports
 * at most about once a second), so compare two readings a few seconds apart.
 */
export async function readWriteCounters(client: pg.ClientBase, tables: readonly string[]): Promise<ReadonlyMap<string, TableWrites>> {
  await client.query('SELECT pg_stat_clear_snapshot()');
  const result = await client.query<{ table: string; inserts: string; updates: string; deletes: string }>(
    `SELECT relname AS table, n_tup_ins::text AS inserts, n_tup_upd::text AS updates, n_tup_del::text AS deletes
       FROM pg_stat_user_tables WHERE schemaname = 'public' AND relname = ANY($1::text[])`,
    [tables],
  );
  return new Map(result.rows.map((r) => [r.table, { table: r.table, inserts: Number(r.inserts), updates: Number(r.updates), deletes: Number(r.deletes) }]));
}

/**
 * The writes between two readings, for the tables that had any. A counter that went down (the
 * statistics were reset) counts as written: nothing proves the table was left alone.
 */
export function writesBetween(before: ReadonlyMap<string, TableWrites>, after: ReadonlyMap<string, TableWrites>): readonly TableWrites[] {
  const out: TableWrites[] = [];
  for (const [table, now] of after) {
    const then = before.get(table) ?? { table, inserts: 0, updates: 0, deletes: 0 };
    const delta = (a: number, b: number): number => (a >= b ? a - b : Math.max(1, a));
    const writes = { table, inserts: delta(now.inserts, then.inserts), updates: delta(now.updates, then.updates), deletes: delta(now.deletes, then.deletes) };
    if (writes.inserts + writes.updates + writes.deletes > 0) out.push(writes);
  }
  return out.sort((a, b) => a.table.localeCompare(b.table));
}

export function describeWrites(writes: readonly TableWrites[]): string {
  return writes.map((w) => `${w.table} (${w.inserts} inserted, ${w.updates} updated, ${w.deletes} deleted)`).join(', ');
}
