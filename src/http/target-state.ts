import pg from 'pg';
import { readBackfillStates } from '../backfill/backfill-state.js';
import { readCutOver } from '../cutover/cutover-marker.js';
import { classify } from '../errors/classify.js';
import { parseLsn, ZERO_LSN, type Lsn } from '../lsn.js';
import { describeDirection, readDirection } from '../reverse/service-direction.js';

/** One row of pgcarve.backfill: a legacy table's backfill into this service database. */
export interface BackfillTableState {
  readonly table: string;
  readonly state: string;
  readonly rowsCopied: number;
  readonly rowsEstimated: number | null;
  readonly updatedAt: string;
}

/** What pgcarve has recorded in one service database for one slot. */
export interface TargetState {
  /** pgcarve.checkpoint: everything below it is applied (0/0 before anything was). */
  readonly checkpoint: Lsn;
  /** Commit time of the last legacy transaction applied, ISO 8601 UTC. */
  readonly lastCommitTime: string | null;
  readonly backfill: readonly BackfillTableState[];
  /** When `pgcarve cutover` cut the service over (ISO 8601 UTC), or null. */
  readonly cutOverAt: string | null;
  /** Which way its rows flow (pgcarve.cutover and its rolled_back_at). */
  readonly direction: ReturnType<typeof describeDirection>;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** Reads the checkpoint and the backfill states from a service database, on a short-lived connection. */
export async function readTargetState(url: string, slot: string): Promise<TargetState> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'pgcarve-status' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const checkpoint = await client.query<{ lsn: string; commit_time: string | null }>(
      `SELECT lsn::text AS lsn, to_char(commit_time AT TIME ZONE 'UTC', ${ISO}) AS commit_time FROM pgcarve.checkpoint WHERE slot = $1`,
      [slot],
    );
    // The backfill's own reader, so status shows each table as `run` interprets its state.
    const backfill = await readBackfillStates(client, slot);
    const cutOverAt = await readCutOver(client, slot);
    const direction = describeDirection(await readDirection(client, slot));
    const row = checkpoint.rows[0];
    return {
      cutOverAt: cutOverAt ?? null,
      direction,
      checkpoint: row ? parseLsn(row.lsn) : ZERO_LSN,
      lastCommitTime: row?.commit_time ?? null,
      backfill: backfill.map((b) => ({
        table: b.table,
        state: b.kind,
        rowsCopied: b.rowsCopied,
        rowsEstimated: b.rowsEstimated ?? null,
        updatedAt: b.updatedAt.toISOString(),
      })),
    };
  } catch (error) {
    throw classify(error, 'reading the pgcarve state of a service database');
  } finally {
    await client.end().catch(() => undefined);
  }
}
