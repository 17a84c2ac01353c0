import type pg from 'pg';
import { formatLsn, parseLsn, ZERO_LSN, type Lsn } from '../lsn.js';

/**
 * `pgcarve.reverse_checkpoint` in the legacy database: per reverse slot, the end LSN of the last
 * service transaction applied to the legacy tables (`lsn`), and of the last one that changed a
 * row (`last_change_lsn`). Written in the same legacy transaction as the changes it covers, so a
 * restart skips exactly what was applied; it never moves backwards. `last_change_lsn` is what
 * `pgcarve rollback` reads to know, exactly, that no service write came between two fences.
 */
const REVERSE_CHECKPOINT_SQL = `
CREATE SCHEMA IF NOT EXISTS pgcarve;
CREATE TABLE IF NOT EXISTS pgcarve.reverse_checkpoint (
  slot text PRIMARY KEY,
  service text NOT NULL,
  lsn pg_lsn NOT NULL,
  last_change_lsn pg_lsn NOT NULL DEFAULT '0/0',
  commit_time timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

export async function ensureReverseCheckpoint(client: pg.ClientBase): Promise<void> {
  await client.query(REVERSE_CHECKPOINT_SQL);
}

export interface ReverseCheckpoint {
  readonly lsn: Lsn;
  readonly lastChangeLsn: Lsn;
}

export async function readReverseCheckpoint(client: pg.ClientBase, slot: string): Promise<ReverseCheckpoint> {
  const exists = await client.query<{ found: boolean }>("SELECT to_regclass('pgcarve.reverse_checkpoint') IS NOT NULL AS found");
  if (!exists.rows[0]?.found) return { lsn: ZERO_LSN, lastChangeLsn: ZERO_LSN };
  const result = await client.query<{ lsn: string; last_change_lsn: string }>('SELECT lsn::text AS lsn, last_change_lsn::text AS last_change_lsn FROM pgcarve.reverse_checkpoint WHERE slot = $1', [slot]);
  const row = result.rows[0];
  return row ? { lsn: parseLsn(row.lsn), lastChangeLsn: parseLsn(row.last_change_lsn) } : { lsn: ZERO_LSN, lastChangeLsn: ZERO_LSN };
}

/** Records a service transaction as applied; call it inside the legacy transaction that applied it. */
export async function writeReverseCheckpoint(client: pg.ClientBase, slot: string, service: string, lsn: Lsn, changed: boolean, commitTime: Date): Promise<void> {
  await client.query({
    name: 'pgcarve_reverse_checkpoint',
    text: `INSERT INTO pgcarve.reverse_checkpoint AS c (slot, service, lsn, last_change_lsn, commit_time, updated_at)
           VALUES ($1, $2, $3::pg_lsn, CASE WHEN $4::boolean THEN $3::pg_lsn ELSE '0/0'::pg_lsn END, $5, now())
           ON CONFLICT (slot) DO UPDATE SET lsn = EXCLUDED.lsn, commit_time = EXCLUDED.commit_time, updated_at = now(),
             last_change_lsn = CASE WHEN $4::boolean THEN EXCLUDED.lsn ELSE c.last_change_lsn END
           WHERE c.lsn < EXCLUDED.lsn`,
    values: [slot, service, formatLsn(lsn), changed, commitTime],
  });
}

export async function deleteReverseCheckpoint(client: pg.ClientBase, slot: string): Promise<void> {
  const exists = await client.query<{ found: boolean }>("SELECT to_regclass('pgcarve.reverse_checkpoint') IS NOT NULL AS found");
  if (exists.rows[0]?.found) await client.query('DELETE FROM pgcarve.reverse_checkpoint WHERE slot = $1', [slot]);
}
