import type { Lsn } from '../lsn.js';
import type { ServiceName } from '../../mappings/services.js';

/**
 * Per legacy table and service, the LSN of the snapshot the table was last copied on (its
 * `snapshot_lsn` in that service's pgcarve.backfill).
 *
 * Why the stream must respect it: a table copied on a snapshot taken at LSN F already holds the
 * effect of every source transaction that committed before F. The stream starts at the slot's
 * position, which may be older than F (a table redone after a crash, on a fresh snapshot). If the
 * stream applied those older transactions again on top of the newer copy, the table would pass
 * through states the legacy database never had: an update whose unchanged TOASTed column was not
 * sent would hit a row the copy no longer holds (deleted before F) and stop the writer, and a
 * unique constraint could see an old value of one row beside the new value of another. So the
 * router drops a table's changes, for that service only, in every transaction whose commit LSN
 * (begin.finalLsn) is below the floor, exactly as a writer skips transactions below its
 * checkpoint. Transactions at or after F were not visible to the snapshot and are applied: no gap,
 * no double effect, for each table independently. (This is what PostgreSQL's own table sync does
 * with its per-table sync LSN.)
 */
export type BackfillFloors = ReadonlyMap<string, ReadonlyMap<ServiceName, Lsn>>;

export const NO_FLOORS: BackfillFloors = new Map();

const NONE: ReadonlySet<ServiceName> = new Set();

/** The services that must not receive `table`'s changes of the transaction committing at `finalLsn`. */
export function servicesBelowFloor(floors: BackfillFloors, table: string, finalLsn: Lsn | undefined): ReadonlySet<ServiceName> {
  const byService = floors.get(table);
  if (!byService || finalLsn === undefined) return NONE;
  let held: Set<ServiceName> | undefined;
  for (const [service, floor] of byService) {
    if (finalLsn < floor) (held ??= new Set()).add(service);
  }
  return held ?? NONE;
}
