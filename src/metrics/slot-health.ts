import type pg from 'pg';
import { parseLsn, type Lsn } from '../lsn.js';

/** `pg_replication_slots.wal_status`: how safe the WAL the slot needs is. */
export const WAL_STATUSES = ['reserved', 'extended', 'unreserved', 'lost'] as const;
export type WalStatus = (typeof WAL_STATUSES)[number];

/** The legacy server's WAL position and the state of pgcarve's slot on it, read at `readAtMs`. */
export interface SlotHealth {
  readonly readAtMs: number;
  /** pg_current_wal_lsn(): where the legacy server is writing WAL now. */
  readonly currentLsn: Lsn;
  readonly exists: boolean;
  readonly active: boolean;
  readonly restartLsn: Lsn | undefined;
  readonly confirmedFlushLsn: Lsn | undefined;
  readonly walStatus: WalStatus | undefined;
  /** WAL the server keeps for the slot: current − restart_lsn (the disk risk). */
  readonly retainedWalBytes: number | undefined;
  /**
   * How much more WAL may be written before the slot is in danger of losing WAL; Infinity when
   * max_slot_wal_keep_size is -1 (no limit), 0 when the slot has lost WAL.
   */
  readonly safeWalSizeBytes: number | undefined;
}

const SLOT_HEALTH_SQL = `
SELECT pg_current_wal_lsn()::text AS current, s.slot_name IS NOT NULL AS exists, coalesce(s.active, false) AS active,
       s.restart_lsn::text AS restart, s.confirmed_flush_lsn::text AS confirmed, s.wal_status,
       s.safe_wal_size::text AS safe, pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::text AS retained,
       current_setting('max_slot_wal_keep_size') AS keep_size
  FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots AS s ON s.slot_name = $1`;

interface SlotHealthRow {
  readonly current: string;
  readonly exists: boolean;
  readonly active: boolean;
  readonly restart: string | null;
  readonly confirmed: string | null;
  readonly wal_status: string | null;
  readonly safe: string | null;
  readonly retained: string | null;
  readonly keep_size: string;
}

/** Reads the slot's health from the legacy server (any role may read pg_replication_slots). */
export async function readSlotHealth(client: pg.ClientBase, slot: string): Promise<SlotHealth> {
  const result = await client.query<SlotHealthRow>(SLOT_HEALTH_SQL, [slot]);
  const row = result.rows[0];
  if (!row) throw new Error('the slot health query returned no row');
  const walStatus = (WAL_STATUSES as readonly string[]).includes(row.wal_status ?? '') ? (row.wal_status as WalStatus) : undefined;
  let safeWalSizeBytes: number | undefined;
  if (row.safe !== null) safeWalSizeBytes = Math.max(0, Number(row.safe));
  else if (walStatus === 'lost') safeWalSizeBytes = 0;
  else if (row.exists && row.keep_size.trim() === '-1') safeWalSizeBytes = Number.POSITIVE_INFINITY;
  return {
    readAtMs: Date.now(),
    currentLsn: parseLsn(row.current),
    exists: row.exists,
    active: row.active,
    restartLsn: row.restart === null ? undefined : parseLsn(row.restart),
    confirmedFlushLsn: row.confirmed === null ? undefined : parseLsn(row.confirmed),
    walStatus,
    retainedWalBytes: row.retained === null ? undefined : Math.max(0, Number(row.retained)),
    safeWalSizeBytes,
  };
}
