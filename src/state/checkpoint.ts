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

/**
 * Opens the target transaction of a batch and takes the checkpoint row's lock in it, as one round
 * trip. The row stays locked until the batch commits or rolls back, so two writer sessions of one
 * service (the current round's and a leftover of an earlier one whose connection is not gone yet)
 * can never both apply: the second waits for the first to end, then sees the checkpoint it left.
 *
 * Returns the checkpoint as this transaction sees it. The caller compares it with the position its
 * session started from: a difference means another session applied in the meantime, and this one
 * must end its round (PgcarveError `target_fenced`) instead of applying what is already there.
 */
export async function beginFenced(client: pg.ClientBase, slot: string): Promise<Lsn> {
  const results = (await client.query(`BEGIN; SELECT lsn::text AS lsn FROM pgcarve.checkpoint WHERE slot = ${client.escapeLiteral(slot)} FOR UPDATE`)) as unknown as readonly pg.QueryResult<{ lsn: string }>[];
  const row = results[1]?.rows[0];
  return row ? parseLsn(row.lsn) : ZERO_LSN;
}
