import { randomBytes } from 'node:crypto';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { parseLsn } from '../lsn.js';
import type { CreatedSlot } from '../source/slot.js';
import { connect } from '../pg/with-client.js';

/**
 * A snapshot of the legacy database taken now, with the exact LSN it stands for: a TEMPORARY
 * logical slot created with EXPORT_SNAPSHOT. Its consistent point splits the WAL precisely:
 * transactions whose commit record is below it are visible to the snapshot, those at or after it
 * are not. (A plain REPEATABLE READ snapshot has no such LSN: a transaction may write its commit
 * record before another's yet become visible after it.) The slot is never read; it disappears
 * with `release()` or with the connection, so a crash leaves nothing behind. It needs one free
 * replication slot and wal sender for the duration of the copy.
 */
export async function takeFreshSnapshot(legacyUrl: string): Promise<CreatedSlot> {
  const client = await connect(legacyUrl, { doing: 'opening a replication connection to the legacy database (backfill snapshot)', replication: true });
  const name = `pgcarve_backfill_${randomBytes(6).toString('hex')}`;
  try {
    const result = await client.query<{ consistent_point: string; snapshot_name: string | null }>(`CREATE_REPLICATION_SLOT ${name} TEMPORARY LOGICAL pgoutput EXPORT_SNAPSHOT`);
    const row = result.rows[0];
    if (!row?.snapshot_name) throw new PgcarveError('internal', 'CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT returned no snapshot');
    return {
      consistentPoint: parseLsn(row.consistent_point),
      snapshot: row.snapshot_name,
      release: async () => {
        await client.end().catch(() => undefined);
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === '53400') throw new PgcarveError('server_misconfigured', `the backfill needs one more replication slot on the legacy server for a fresh snapshot: raise max_replication_slots (and max_wal_senders) by one and restart it, or drop unused slots`, { cause: error });
    if (code === '42501') throw new PgcarveError('privilege', `the legacy role may not create replication slots: ALTER ROLE <role> REPLICATION (or use a role that has it)`, { cause: error });
    throw classify(error, 'taking a fresh snapshot of the legacy database for the backfill');
  }
}
