import type pg from 'pg';

/** The first key of the advisory locks a running `pgcarve backfill` holds (the second: its table). */
const REPAIR_LOCK_CLASS = 7_248_913_003;

/**
 * `pgcarve backfill` holds, in each service database it repairs, a session advisory lock per
 * table for as long as it works on it. A `repairing` state without that lock was left by a repair
 * that ended early (SIGTERM, --timeout, a crash, the sidecar stopped): not verified, until the next
 * `pgcarve backfill` of that table finishes it.
 */
export async function lockRepair(client: pg.ClientBase, slot: string, table: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1::int, hashtext($2))', [REPAIR_LOCK_CLASS % 2 ** 31, `${slot}.${table}`]);
}

/** The tables (of `tables`) a running `pgcarve backfill` is repairing in this database now. */
export async function liveRepairs(client: pg.ClientBase, slot: string, tables: readonly string[]): Promise<ReadonlySet<string>> {
  const live = new Set<string>();
  for (const table of tables) {
    // A free lock is taken and released at once (transaction level): nobody holds it.
    await client.query('BEGIN');
    try {
      const result = await client.query<{ free: boolean }>('SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS free', [REPAIR_LOCK_CLASS % 2 ** 31, `${slot}.${table}`]);
      if (!result.rows[0]?.free) live.add(table);
    } finally {
      await client.query('COMMIT');
    }
  }
  return live;
}
