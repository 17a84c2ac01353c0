import type pg from 'pg';
import type { Config } from '../config/config.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Logger } from '../log.js';
import { formatLsn, ZERO_LSN, type Lsn } from '../lsn.js';
import type { RoutingTable } from '../router/routing-table.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import type { CreatedSlot } from '../source/slot.js';
import { readCheckpoint, writeCheckpoint } from '../state/checkpoint.js';
import { ensureStateTables } from '../state/state-tables.js';
import type { BackfillFloors } from '../source/backfill-floors.js';
import { nullBackfillObserver, type BackfillObserver } from './backfill-observer.js';
import { adoptable, owedCopies, readServiceRecord, type ServiceRecord } from './backfill-holes.js';
import { readBackfillStates, writeNothingToCopy, writePlan } from '../state/backfill-state.js';
import { copyTables, pageBytesFor } from './copy-tables.js';
import { withBackfillState } from './with-backfill-state.js';
import { takeFreshSnapshot } from './fresh-snapshot.js';

export interface BackfillOptions {
  readonly config: Pick<Config, 'legacyUrl' | 'serviceUrls' | 'slot' | 'backfillConcurrency'>;
  readonly log: Logger;
  readonly observer?: BackfillObserver;
  /** Rows per read and write batch at most (default 2,000). */
  readonly pageRows?: number;
  /** Estimated bytes per batch to aim for, so wide rows make smaller batches (default: pageBytesFor the concurrency). */
  readonly pageBytes?: number;
  /** Tables estimated above this many rows are split into key ranges copied in parallel (default 50,000). */
  readonly rangeRows?: number;
}

/**
 * The initial copy of `pgcarve run`, in the order the sidecar drives it (sidecar.ts, prepare()):
 *
 * 1. `plan` — before the slot exists: every mapped table is `pending` in every service database it
 *    writes to. Written first so that a crash right after the slot is created is still seen as an
 *    unfinished copy.
 * 2. `copy` — the slot was just created at its consistent point P with an exported snapshot that
 *    shows exactly the transactions committed before P. Every table is copied on that snapshot,
 *    then every service's checkpoint is set to P. Streaming then starts at P: the writers skip
 *    transactions committed before P (the copy holds them; the slot does not even send them) and
 *    apply every one at or after P (the snapshot did not see them). No gap, no double effect.
 *    The writers read their checkpoint in connect(), which the sidecar calls again before it
 *    streams, so their positions start at P.
 * 3. `resume` — on a later start the slot exists but some table is still `pending` or `copying`:
 *    the process that held the exported snapshot died, and the snapshot with it. Finished tables
 *    are kept (copied at P, they converge from P like any table). Each unfinished table is emptied
 *    and copied whole on a fresh snapshot at F > P (fresh-snapshot.ts), recorded as its floor.
 *    The stream still starts at the slot's position P, and for that table the router drops the
 *    changes of transactions committed before F (backfill-floors.ts), which the copy already
 *    holds, and applies those at or after F, which it does not. Every table therefore ends up
 *    with exactly the stream applied from its own snapshot: the same result as a single snapshot,
 *    whatever the writes during and between the attempts. Rows deleted in the legacy database
 *    between P and F are not in the copy (the delete's replay is dropped with the rest of the
 *    table's changes before F), and older versions of rows are never replayed over newer ones.
 *    The same path copies what a service database is owed for any other reason (backfill-holes.ts):
 *    a table mapped after the slot was created (no state row), a table `pgcarve backfill --resync`
 *    marked `pending` (a dropped column the stream cannot map: its changes before F are exactly the
 *    ones dropped, so the change the writer stopped on is skipped and the copy holds its effect),
 *    and every table of a database that has no checkpoint row (recreated empty, or its `pgcarve`
 *    schema dropped). For that last one the checkpoint is then set to the slot's position P, where
 *    the stream starts: below F, so its writer skips nothing the copy lacks, and every table it
 *    writes has the floor F, so nothing the copy holds is applied again. Until the copy is complete
 *    the sidecar is `backfilling` (not ready), and a copy that stops leaves the checkpoint row
 *    missing, so the next start copies again.
 * 4. `floors` — before every stream start, from the persisted states.
 *
 * Reference target rows (ensured, never deleted) are kept across attempts: only owned target
 * tables are emptied before a table is copied. A service that was cut over is never copied into.
 */
export class Backfill {
  private readonly observer: BackfillObserver;

  constructor(private readonly options: BackfillOptions) {
    this.observer = options.observer ?? nullBackfillObserver;
  }

  /**
   * Step 1: every mapped table is `pending` in every service database it feeds, and every service
   * database gets a checkpoint row (0/0 if it had none), so that one without it later is known to
   * have lost its state (backfill-holes.ts). The sidecar always copies on the new slot's snapshot
   * (empty tables are copied in no time), so a plan is never "nothing to copy".
   */
  async plan(routing: RoutingTable): Promise<void> {
    const { slot } = this.options.config;
    await this.eachService(routing, async (client, service, tables) => {
      await ensureStateTables(client);
      await writeCheckpoint(client, slot, ZERO_LSN, null);
      await writePlan(client, slot, tables);
      for (const table of tables) this.observer.stateChanged(service, table, 'pending');
    });
  }

  /** Step 2. An aborted `signal` stops it between batches, before any checkpoint is set. */
  async copy(slot: CreatedSlot, routing: RoutingTable, signal: AbortSignal): Promise<void> {
    if (!slot.snapshot) throw new PgcarveError('internal', 'backfill: the slot was created without an exported snapshot');
    const tables = new Map([...routing.bySource].map(([table, routed]) => [table, routed.services]));
    if (await this.copyOn(slot.snapshot, slot.consistentPoint, routing, tables, signal)) await this.setCheckpoints(routing, slot.consistentPoint);
  }

  /** Whether some service database is owed a copy of some table (step 3 is due): backfill-holes.ts. */
  async unfinished(routing: RoutingTable): Promise<boolean> {
    return (await this.unfinishedTables(routing)).size > 0;
  }

  /** Step 3. `slotPosition` is the slot's confirmed position, where streaming will start. */
  async resume(routing: RoutingTable, slotPosition: Lsn, signal: AbortSignal): Promise<void> {
    const tables = await this.unfinishedTables(routing, true);
    if (tables.size === 0) return;
    this.options.log.info(`backfill: ${tables.size} table(s) unfinished or missing are copied on a fresh snapshot`, { tables: [...tables.keys()] });
    const snapshot = await takeFreshSnapshot(this.options.config.legacyUrl);
    let complete: boolean;
    try {
      complete = await this.copyOn(snapshot.snapshot as string, snapshot.consistentPoint, routing, tables, signal);
    } finally {
      await snapshot.release();
    }
    if (complete) await this.setCheckpoints(routing, slotPosition);
  }

  /** Step 4: every table's snapshot LSN in every service database. */
  async floors(routing: RoutingTable): Promise<BackfillFloors> {
    const floors = new Map<string, Map<ServiceName, Lsn>>();
    await this.eachService(routing, async (client, service) => {
      await ensureStateTables(client);
      const checkpoint = await readCheckpoint(client, this.options.config.slot);
      for (const state of await readBackfillStates(client, this.options.config.slot)) {
        if (state.kind === 'pending' || state.snapshotLsn === undefined || state.snapshotLsn <= checkpoint) continue;
        let byService = floors.get(state.table);
        if (!byService) floors.set(state.table, (byService = new Map()));
        byService.set(service, state.snapshotLsn);
      }
    });
    return floors;
  }

  /** Copies `tables` on the snapshot; false when the signal stopped it first. */
  private async copyOn(snapshot: string, snapshotLsn: Lsn, routing: RoutingTable, tables: ReadonlyMap<string, readonly ServiceName[]>, signal: AbortSignal): Promise<boolean> {
    const { config, log } = this.options;
    const summary = await copyTables({
      legacyUrl: config.legacyUrl,
      serviceUrls: config.serviceUrls,
      slot: config.slot,
      snapshot,
      snapshotLsn,
      routing,
      tables,
      concurrency: config.backfillConcurrency,
      page: { rows: this.options.pageRows ?? 2_000, bytes: this.options.pageBytes ?? pageBytesFor(config.backfillConcurrency) },
      plan: { rangeRows: this.options.rangeRows ?? 50_000 },
      observer: this.observer,
      log,
      signal,
    });
    if (summary.interrupted) {
      log.info('backfill: interrupted; the next start copies the unfinished tables again', { rows: summary.rows });
      return false;
    }
    log.info(`backfill: ${summary.tables} table(s), ${summary.rows} rows in ${summary.seconds.toFixed(1)} s (${Math.round(summary.rows / Math.max(summary.seconds, 0.001))} rows/s)`, {
      tables: summary.tables,
      rows: summary.rows,
      seconds: Number(summary.seconds.toFixed(3)),
    });
    return true;
  }

  /**
   * Per legacy table, the services owed a copy of it; `report` logs the ones not merely unfinished.
   * Services of a slot without a recorded plan are first recorded as owing nothing (`adoptable`
   * in backfill-holes.ts), so that from then on a missing row or checkpoint is a loss.
   */
  private async unfinishedTables(routing: RoutingTable, report = false): Promise<Map<string, ServiceName[]>> {
    const { slot } = this.options.config;
    const records: { service: ServiceName; tables: readonly string[]; record: ServiceRecord }[] = [];
    await this.eachService(routing, async (client, service, tables) => {
      await ensureStateTables(client);
      records.push({ service, tables, record: await readServiceRecord(client, slot) });
    });
    const unfinished = new Map<string, ServiceName[]>();
    const adopt = adoptable(records.map((r) => r.record));
    const adopted = records.filter((_, i) => adopt[i]);
    if (adopted.length > 0) {
      this.options.log.info(`backfill: ${adopted.map((r) => r.service).join(', ')} ha${adopted.length === 1 ? 's' : 've'} no backfill state for slot ${slot}, which no service database records a copy for: taken as created over empty legacy tables (by an earlier pgcarve, or without a backfill), so nothing is copied; if those databases were recreated, copy each table again with \`pgcarve backfill --resync --table T\``, { slot, services: adopted.map((r) => r.service) });
      // Checkpoint rows first, everywhere, then the state rows: an adoption stopped in between is
      // still adoptable on the next start (see adoptable()).
      const services = new Set(adopted.map((r) => r.service));
      await this.eachService(routing, async (client, service) => {
        if (services.has(service)) await writeCheckpoint(client, slot, ZERO_LSN, null);
      });
      await this.eachService(routing, async (client, service, tables) => {
        if (services.has(service)) await writeNothingToCopy(client, slot, tables);
      });
    }
    for (const [i, { service, tables, record }] of records.entries()) {
      if (adopt[i]) continue;
      const owed = owedCopies(record, tables);
      for (const { table } of owed) {
        const list = unfinished.get(table) ?? [];
        list.push(service);
        unfinished.set(table, list);
      }
      if (!report) continue;
      const lost = owed.filter((o) => o.reason === 'no_checkpoint').map((o) => o.table);
      const unmapped = owed.filter((o) => o.reason === 'no_state').map((o) => o.table);
      if (lost.length > 0) this.options.log.warn(`backfill: ${service} has no checkpoint for slot ${slot} (database recreated, or its pgcarve schema dropped): every table it is fed by is copied again`, { service, tables: lost });
      if (unmapped.length > 0) this.options.log.warn(`backfill: ${service} has no backfill state for ${unmapped.join(', ')} (mapped after the slot was created, or the state row was deleted): copied now`, { service, tables: unmapped });
    }
    return unfinished;
  }

  /** Sets every service's checkpoint to `lsn` (never backwards; see checkpoint.ts). */
  private async setCheckpoints(routing: RoutingTable, lsn: Lsn): Promise<void> {
    await this.eachService(routing, async (client) => {
      await writeCheckpoint(client, this.options.config.slot, lsn, null);
    }, true);
    this.options.log.info(`backfill: done; every service continues from ${formatLsn(lsn)}`, { lsn: formatLsn(lsn) });
  }

  /** Runs `f` on a short-lived connection to each service database that the mappings write (or all). */
  private async eachService(routing: RoutingTable, f: (client: pg.Client, service: ServiceName, tables: readonly string[]) => Promise<void>, all = false): Promise<void> {
    for (const service of SERVICES) {
      const tables = [...routing.bySource].filter(([, routed]) => routed.services.includes(service)).map(([table]) => table);
      if (tables.length === 0 && !all) continue;
      await withBackfillState(this.options.config, service, (client) => f(client, service, tables));
    }
  }
}
