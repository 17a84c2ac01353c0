import pg from 'pg';
import { parseLsn, ZERO_LSN, type Lsn } from '../lsn.js';
import { classify } from '../errors/classify.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import { ensureStateTables } from './state-tables.js';
import { withClient } from '../pg/with-client.js';

/**
 * `pgcarve.cutover` in a service database (created with the other state tables): the service was
 * cut over for this slot, at this time, sealed at `fence_lsn` (the LSN of cutover's seal message:
 * router/seals.ts). From then on the service database is the source of truth for its rows: the
 * stream never applies a legacy change committed after the seal to it, and the drift checks report
 * it as `sealed`. `rolled_back_at`, set by a rollback, lifts the seal: such a row is not a seal.
 */
export async function markCutOver(client: pg.ClientBase, slot: string, fenceLsn: string | null): Promise<void> {
  await ensureStateTables(client);
  await client.query(
    `INSERT INTO pgcarve.cutover (slot, fence_lsn) VALUES ($1, $2::pg_lsn)
     ON CONFLICT (slot) DO UPDATE SET fence_lsn = EXCLUDED.fence_lsn, cut_over_at = now(), rolled_back_at = NULL`,
    [slot, fenceLsn],
  );
}

/** The seal of a cut-over service: when (ISO 8601 UTC) and at which LSN. */
export interface CutOverRecord {
  readonly at: string;
  readonly fenceLsn: Lsn;
}

/** The cutover of `slot` if the service is cut over and not rolled back, else undefined. */
export async function readSeal(client: pg.ClientBase, slot: string): Promise<CutOverRecord | undefined> {
  const exists = await client.query<{ found: boolean }>("SELECT to_regclass('pgcarve.cutover') IS NOT NULL AS found");
  if (!exists.rows[0]?.found) return undefined;
  const columns = await client.query<{ found: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'pgcarve.cutover'::regclass AND attname = 'rolled_back_at' AND NOT attisdropped) AS found",
  );
  const lifted = columns.rows[0]?.found ? ' AND rolled_back_at IS NULL' : '';
  const result = await client.query<{ at: string; fence_lsn: string | null }>(
    `SELECT to_char(cut_over_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, fence_lsn::text AS fence_lsn FROM pgcarve.cutover WHERE slot = $1${lifted}`,
    [slot],
  );
  const row = result.rows[0];
  // A record without a fence (written by an older pgcarve) seals from its start: the writer is past it.
  return row ? { at: row.at, fenceLsn: row.fence_lsn === null ? ZERO_LSN : parseLsn(row.fence_lsn) } : undefined;
}

/** When the service was cut over for `slot` (ISO 8601 UTC), or undefined (never, or rolled back). */
export async function readCutOver(client: pg.ClientBase, slot: string): Promise<string | undefined> {
  return (await readSeal(client, slot))?.at;
}

/**
 * The sealing fence of every cut-over service, read from their pgcarve.cutover (the sidecar at
 * each start builds its seals from them). A database that cannot be read fails the start:
 * streaming without its seal could apply legacy changes to a cut-over service.
 */
export async function readSealFences(serviceUrls: Readonly<Record<ServiceName, string>>, slot: string): Promise<ReadonlyMap<ServiceName, Lsn>> {
  const seals = new Map<ServiceName, Lsn>();
  for (const service of SERVICES) {
    const doing = `reading the cutover seal (pgcarve.cutover) of ${service}`;
    const seal = await withClient(serviceUrls[service], { doing, application: 'pgcarve' }, (client) => readSeal(client, slot)).catch((error: unknown) => {
      throw classify(error, doing);
    });
    if (seal) seals.set(service, seal.fenceLsn);
  }
  return seals;
}
