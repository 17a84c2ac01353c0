import { readBackfillStates } from '../state/backfill-state.js';
import { readSeal } from '../state/cutover-marker.js';
import { liveRepairs } from '../state/repair-liveness.js';
import type { ServiceName } from '../../mappings/services.js';
import { classify } from '../errors/classify.js';
import { formatLsn, parseLsn, ZERO_LSN, type Lsn } from '../lsn.js';
import { describeDirection, readDirection } from '../reverse/service-direction.js';
import { withClient } from '../pg/with-client.js';
import { servicePurpose } from '../pg/with-service.js';

/** One row of pgcarve.backfill: a legacy table's backfill into this service database. */
export interface BackfillTableState {
  readonly table: string;
  /** The backfill state (backfill-state.ts), or `repair-interrupted`: `repairing` with no pgcarve backfill running. */
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
  /** The LSN of its cutover seal ('X/Y'), or null. */
  readonly sealLsn: string | null;
  /** Which way its rows flow (pgcarve.cutover and its rolled_back_at). */
  readonly direction: ReturnType<typeof describeDirection>;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** Reads the checkpoint and the backfill states from a service database, on a short-lived connection. */
export async function readTargetState(url: string, slot: string, service?: ServiceName): Promise<TargetState> {
  const doing = 'reading the pgcarve state of a service database';
  const purpose = { doing, application: 'pgcarve-status', connectTimeoutMs: 5_000 };
  return await withClient(url, service ? servicePurpose(service, purpose) : purpose, async (client) => {
    const checkpoint = await client.query<{ lsn: string; commit_time: string | null }>(
      `SELECT lsn::text AS lsn, to_char(commit_time AT TIME ZONE 'UTC', ${ISO}) AS commit_time FROM pgcarve.checkpoint WHERE slot = $1`,
      [slot],
    );
    // The backfill's own reader, so status shows each table as `run` interprets its state.
    const backfill = await readBackfillStates(client, slot);
    const seal = await readSeal(client, slot);
    const direction = describeDirection(await readDirection(client, slot));
    const live = await liveRepairs(client, slot, backfill.filter((b) => b.kind === 'repairing').map((b) => b.table));
    const row = checkpoint.rows[0];
    return {
      cutOverAt: seal?.at ?? null,
      sealLsn: seal ? formatLsn(seal.fenceLsn) : null,
      direction,
      checkpoint: row ? parseLsn(row.lsn) : ZERO_LSN,
      lastCommitTime: row?.commit_time ?? null,
      backfill: backfill.map((b) => ({
        table: b.table,
        state: b.kind === 'repairing' && !live.has(b.table) ? 'repair-interrupted' : b.kind,
        rowsCopied: b.rowsCopied,
        rowsEstimated: b.rowsEstimated ?? null,
        updatedAt: b.updatedAt.toISOString(),
      })),
    };
  }).catch((error: unknown) => {
    throw classify(error, doing);
  });
}
