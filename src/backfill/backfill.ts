import pg from 'pg';
import type { Config } from '../config/config.js';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Logger } from '../log.js';
import { formatLsn, type Lsn } from '../lsn.js';
import type { RoutingTable } from '../router/routing-table.js';
import { SERVICES, type ServiceName } from '../router/service.js';
import type { CreatedSlot } from '../source/slot.js';
import { readCheckpoint, writeCheckpoint } from '../targets/checkpoint.js';
import { ensureStateTables } from '../targets/state-tables.js';
import type { BackfillFloors } from './backfill-floors.js';
import { nullBackfillObserver, type BackfillObserver } from './backfill-observer.js';
import { clearPlan, isUnfinished, readBackfillStates, writePlan } from './backfill-state.js';
import { copyTables } from './copy-tables.js';
import { takeFreshSnapshot } from './fresh-snapshot.js';

export interface BackfillOptions {
  readonly config: Pick<Config, 'legacyUrl' | 'serviceUrls' | 'slot' | 'backfillConcurrency'>;
  readonly log: Logger;
  readonly observer?: BackfillObserver;
  /** Rows per read and write batch at most (default 2,000). */
  readonly pageRows?: number;
  /** Text bytes per batch to aim for, so wide rows make smaller batches (default 4 MiB). */
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
 * 4. `floors` — before every stream start, from the persisted states.
 *
 * Reference target rows (ensured, never deleted) are kept across attempts: only owned target
 * tables are emptied before a table is copied.
 */
export class Backfill {
  private readonly observer: BackfillObserver;

  constructor(private readonly options: BackfillOptions) {
    this.observer = options.observer ?? nullBackfillObserver;
  }

  /** Step 1; with `copyNeeded` false (empty legacy tables) it forgets any earlier plan of this slot. */
  async plan(routing: RoutingTable, copyNeeded: boolean): Promise<void> {
    await this.eachService(routing, async (client, service, tables) => {
      await ensureStateTables(client);
      if (copyNeeded) await writePlan(client, this.options.config.slot, tables);
      else await clearPlan(client, this.options.config.slot);
      if (copyNeeded) for (const table of tables) this.observer.stateChanged(service, table, 'pending');
    });
  }

  /** Step 2. An aborted `signal` stops it between batches, before any checkpoint is set. */
  async copy(slot: CreatedSlot, routing: RoutingTable, signal: AbortSignal): Promise<void> {
    if (!slot.snapshot) throw new PgcarveError('internal', 'backfill: the slot was created without an exported snapshot');
    const tables = new Map([...routing.bySource].map(([table, routed]) => [table, routed.services]));
    if (await this.copyOn(slot.snapshot, slot.consistentPoint, routing, tables, signal)) await this.setCheckpoints(routing, slot.consistentPoint);
  }

  /** Whether some table is `pending` or `copying` in some service database (step 3 is due). */
  async unfinished(routing: RoutingTable): Promise<boolean> {
    return (await this.unfinishedTables(routing)).size > 0;
  }

  /** Step 3. `slotPosition` is the slot's confirmed position, where streaming will start. */
  async resume(routing: RoutingTable, slotPosition: Lsn, signal: AbortSignal): Promise<void> {
    const tables = await this.unfinishedTables(routing);
    if (tables.size === 0) return;
    this.options.log.info(`backfill: resuming; ${tables.size} table(s) unfinished by an earlier process are copied again on a fresh snapshot`, { tables: [...tables.keys()] });
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
      page: { rows: this.options.pageRows ?? 2_000, bytes: this.options.pageBytes ?? 4 * 1024 * 1024 },
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

  /** Per legacy table, the services where it is `pending` or `copying`. */
  private async unfinishedTables(routing: RoutingTable): Promise<Map<string, ServiceName[]>> {
    const unfinished = new Map<string, ServiceName[]>();
    await this.eachService(routing, async (client, service, tables) => {
      await ensureStateTables(client);
      for (const state of await readBackfillStates(client, this.options.config.slot)) {
        if (!isUnfinished(state) || !tables.includes(state.table)) continue;
        const list = unfinished.get(state.table) ?? [];
        list.push(service);
        unfinished.set(state.table, list);
      }
    });
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
      const client = new pg.Client({ connectionString: this.options.config.serviceUrls[service], connectionTimeoutMillis: 10_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await f(client, service, tables);
      } catch (error) {
        throw classify(error, `backfill state in ${service}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }
}
