import type pg from 'pg';

/**
 * `pgcarve.cutover` in a service database: the service was cut over for this slot, at this time
 * and fence. From then on the service database is the source of truth for its rows, and the drift
 * checks leave it alone (its own writes are not drift). `pgcarve rollback` sets `rolled_back_at`
 * (the seal is lifted); a later cutover clears it again.
 */
const CUTOVER_TABLE_SQL = `CREATE TABLE IF NOT EXISTS pgcarve.cutover (
  slot text PRIMARY KEY,
  fence_lsn pg_lsn,
  cut_over_at timestamptz NOT NULL DEFAULT now()
)`;

export async function markCutOver(client: pg.ClientBase, slot: string, fenceLsn: string | null): Promise<void> {
  await client.query('CREATE SCHEMA IF NOT EXISTS pgcarve');
  await client.query(CUTOVER_TABLE_SQL);
  await client.query('ALTER TABLE pgcarve.cutover ADD COLUMN IF NOT EXISTS rolled_back_at timestamptz');
  await client.query(
    `INSERT INTO pgcarve.cutover (slot, fence_lsn) VALUES ($1, $2::pg_lsn)
     ON CONFLICT (slot) DO UPDATE SET fence_lsn = EXCLUDED.fence_lsn, cut_over_at = now(), rolled_back_at = NULL`,
    [slot, fenceLsn],
  );
}

/** When the service was cut over for `slot` (ISO 8601 UTC), or undefined. */
export async function readCutOver(client: pg.ClientBase, slot: string): Promise<string | undefined> {
  const exists = await client.query<{ found: boolean }>("SELECT to_regclass('pgcarve.cutover') IS NOT NULL AS found");
  if (!exists.rows[0]?.found) return undefined;
  const result = await client.query<{ at: string }>(`SELECT to_char(cut_over_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at FROM pgcarve.cutover c WHERE slot = $1 AND (to_jsonb(c) ->> 'rolled_back_at') IS NULL`, [slot]);
  return result.rows[0]?.at;
}
