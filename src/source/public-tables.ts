import type pg from 'pg';

/** The ordinary and partitioned tables of the legacy database's schema public, by name. */
export async function readPublicTables(client: pg.ClientBase): Promise<readonly string[]> {
  const result = await client.query<{ name: string }>("SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname");
  return result.rows.map((r) => r.name);
}
