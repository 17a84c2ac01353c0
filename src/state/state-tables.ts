import type pg from 'pg';

/**
 * pgcarve's own state in every target database, in schema `pgcarve`, beside the service's tables:
 * - `checkpoint`: per slot, the end LSN of the last source transaction this database has applied,
 *   written in the same transaction as the changes it covers (exactly-once: on restart every
 *   source transaction that committed below it is skipped). It never moves backwards.
 * - `backfill`: per slot and legacy table, the backfill state (see state/backfill-state.ts).
 * - `cutover`: per slot, the service was cut over at this seal LSN (cutover/cutover-marker.ts);
 *   `rolled_back_at` set by a rollback lifts the seal.
 * Created by `pgcarve migrate` and, idempotently, when the sidecar starts.
 */
export const STATE_TABLES_SQL = `
CREATE SCHEMA IF NOT EXISTS pgcarve;
CREATE TABLE IF NOT EXISTS pgcarve.checkpoint (
  slot text PRIMARY KEY,
  lsn pg_lsn NOT NULL,
  commit_time timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS pgcarve.backfill (
  slot text NOT NULL,
  source_table text NOT NULL,
  state text NOT NULL,
  snapshot_lsn pg_lsn,
  rows_copied bigint NOT NULL DEFAULT 0,
  rows_estimated bigint,
  attempts integer NOT NULL DEFAULT 0,
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (slot, source_table)
);
CREATE TABLE IF NOT EXISTS pgcarve.cutover (
  slot text PRIMARY KEY,
  fence_lsn pg_lsn,
  cut_over_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE pgcarve.cutover ADD COLUMN IF NOT EXISTS rolled_back_at timestamptz;`;

const STATE_LOCK_KEY = 7_248_913_002;

export async function ensureStateTables(client: pg.ClientBase): Promise<void> {
  // Serialised: concurrent CREATE ... IF NOT EXISTS can still collide on the catalog.
  await client.query('SELECT pg_advisory_lock($1)', [STATE_LOCK_KEY]);
  try {
    await client.query(STATE_TABLES_SQL);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [STATE_LOCK_KEY]);
  }
}
