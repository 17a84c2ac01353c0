import type pg from 'pg';
import { parseLsn, formatLsn, ZERO_LSN, type Lsn } from '../lsn.js';

/** The applied position of `slot` in one target database (0/0 when it has applied nothing). */
export async function readCheckpoint(client: pg.ClientBase, slot: string): Promise<Lsn> {
  const result = await client.query<{ lsn: string }>('SELECT lsn::text AS lsn FROM pgcarve.checkpoint WHERE slot = $1', [slot]);
  const row = result.rows[0];
  return row ? parseLsn(row.lsn) : ZERO_LSN;
}

/**
 * Records `lsn` as applied. Call it inside the transaction that applied the changes up to `lsn`:
 * both commit or neither does. Never moves the checkpoint backwards.
 */
export async function writeCheckpoint(client: pg.ClientBase, slot: string, lsn: Lsn, commitTime: Date | null): Promise<void> {
  await client.query({
    name: 'pgcarve_checkpoint',
    text: `INSERT INTO pgcarve.checkpoint AS c (slot, lsn, commit_time, updated_at) VALUES ($1, $2::pg_lsn, $3, now())
           ON CONFLICT (slot) DO UPDATE SET lsn = EXCLUDED.lsn, commit_time = coalesce(EXCLUDED.commit_time, c.commit_time), updated_at = now()
           WHERE c.lsn < EXCLUDED.lsn`,
    values: [slot, formatLsn(lsn), commitTime],
  });
}
