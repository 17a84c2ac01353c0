import type pg from 'pg';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Logger } from '../log.js';
import { formatLsn, type Lsn } from '../lsn.js';
import { deriveUpsert, type OpSink } from '../router/derive-ops.js';
import type { RoutingTable } from '../router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import type { TargetOp } from '../targets/target-op.js';
import type { BackfillObserver } from './backfill-observer.js';
import { addRowsCopied, markCopied, markStarted } from '../state/backfill-state.js';
import { planTable, type KeyRange, type PlanOptions, type TablePlan } from './copy-plan.js';
import { LegacyRowFactory } from '../source/legacy-row.js';
import { SnapshotSession, type PageSize } from './snapshot-session.js';
import { TargetSession } from './target-session.js';

export interface CopyJob {
  readonly legacyUrl: string;
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
  readonly slot: string;
  /** An exported snapshot and the LSN it stands for (commits below it are visible, none after). */
  readonly snapshot: string;
  readonly snapshotLsn: Lsn;
  readonly routing: RoutingTable;
  /** The legacy tables to copy, each with the services to write it to. */
  readonly tables: ReadonlyMap<string, readonly ServiceName[]>;
  /** Parallel legacy connections on the snapshot (and as many per service database). */
  readonly concurrency: number;
  readonly page: PageSize;
  readonly plan: Omit<PlanOptions, 'maxRanges'>;
  readonly observer: BackfillObserver;
  readonly log: Logger;
  /** Stops every worker after its current batch; the tables it leaves unfinished stay `copying`. */
  readonly signal: AbortSignal;
}

export interface CopySummary {
  readonly tables: number;
  readonly rows: number;
  readonly seconds: number;
  /** The signal stopped the copy before every table was done. */
  readonly interrupted: boolean;
}

/**
 * Estimated bytes of legacy rows that the workers together hold at most: each holds three pages
 * (one read ahead, one being mapped, one being written), so pages are sized from this and the
 * concurrency. The read of a worker waits for its write (a cursor fetches one page ahead only), so
 * the legacy side is read no faster than the targets take it, and memory does not grow with a
 * table's size. Small pages cost little speed: several workers keep the targets busy.
 */
export const BACKFILL_IN_FLIGHT_BYTES = 6 * 1024 * 1024;

/** The page size (estimated bytes) for `concurrency` workers: see BACKFILL_IN_FLIGHT_BYTES. */
export function pageBytesFor(concurrency: number): number {
  return Math.max(64 * 1024, Math.floor(BACKFILL_IN_FLIGHT_BYTES / (3 * Math.max(1, concurrency))));
}

interface Unit {
  readonly plan: TablePlan;
  readonly range: KeyRange;
}

/** Per table: started once, done when its last range is. */
interface TableRun {
  started: Promise<void> | undefined;
  rangesLeft: number;
  rowsDone: number;
}

/**
 * Copies `job.tables` from the snapshot into the service databases through the mappings
 * (deriveUpsert: the very function streaming uses), `concurrency` workers in parallel. Work units
 * are (table, key range), largest tables first; a large table's ranges are copied by several
 * workers at once. Each worker streams pages through a cursor, reading one page ahead and writing
 * one behind the page it maps, so memory holds about three pages per worker (pages are bounded in
 * rows and estimated bytes, BACKFILL_IN_FLIGHT_BYTES) whatever the table size.
 *
 * Per table and service, persisted in the service database (backfill-state.ts): `copying` with
 * the snapshot LSN in the transaction that empties the table's owned target tables (a table is
 * always copied whole, from empty, on one snapshot), `rows_copied` with every batch, `copied` once
 * every batch has committed. A crash in between leaves `copying`, and the table is redone.
 * Any failure stops every worker and is thrown: the caller's restart resumes.
 */
export async function copyTables(job: CopyJob): Promise<CopySummary> {
  const started = performance.now();
  const concurrency = Math.max(1, job.concurrency);
  const legacy = await Promise.all(Array.from({ length: concurrency }, () => SnapshotSession.open(job.legacyUrl, job.snapshot)));
  const targets = legacy.map(() => new Map<ServiceName, Promise<TargetSession>>());
  const session = (worker: number, service: ServiceName): Promise<TargetSession> => {
    const sessions = targets[worker] as Map<ServiceName, Promise<TargetSession>>;
    let s = sessions.get(service);
    if (!s) {
      s = TargetSession.open(service, job.serviceUrls[service], job.routing.tablesByService.get(service) ?? []);
      sessions.set(service, s);
    }
    return s;
  };
  let failure: unknown;
  let rows = 0;
  try {
    const plans = await planAll(job, legacy, concurrency);
    const units: Unit[] = plans.sort((a, b) => b.rowsEstimated - a.rowsEstimated).flatMap((plan) => plan.ranges.map((range) => ({ plan, range })));
    const runs = new Map<string, TableRun>(plans.map((p) => [p.table, { started: undefined, rangesLeft: p.ranges.length, rowsDone: 0 }]));
    job.log.info(`backfill: copying ${plans.length} table(s) on the snapshot at ${formatLsn(job.snapshotLsn)} with ${concurrency} connection(s)`, {
      tables: plans.map((p) => p.table),
      lsn: formatLsn(job.snapshotLsn),
    });
    const worker = async (index: number): Promise<void> => {
      for (;;) {
        const unit = units.shift();
        if (!unit || failure !== undefined || job.signal.aborted) return;
        const run = runs.get(unit.plan.table) as TableRun;
        run.started ??= startTable(job, unit.plan, (service) => session(index, service));
        await run.started;
        const stopped = (): boolean => failure !== undefined || job.signal.aborted;
        const copied = await copyRange(job, unit, legacy[index] as SnapshotSession, (service) => session(index, service), run, stopped);
        rows += copied;
        if (stopped()) return;
        run.rangesLeft -= 1;
        if (run.rangesLeft === 0) await finishTable(job, unit.plan, run, (service) => session(index, service));
      }
    };
    await Promise.all(
      legacy.map((_, i) =>
        worker(i).catch((error: unknown) => {
          failure ??= error;
        }),
      ),
    );
    if (failure !== undefined) throw failure;
    return { tables: plans.length, rows, seconds: (performance.now() - started) / 1000, interrupted: [...runs.values()].some((r) => r.rangesLeft > 0) };
  } finally {
    await Promise.all(legacy.map((s) => s.close()));
    for (const sessions of targets) {
      for (const s of sessions.values()) await s.then((t) => t.close()).catch(() => undefined);
    }
    job.observer.finished();
  }
}

async function planAll(job: CopyJob, legacy: readonly SnapshotSession[], concurrency: number): Promise<TablePlan[]> {
  const entries = [...job.tables];
  const plans: TablePlan[] = [];
  await Promise.all(
    legacy.map(async (session, i) => {
      for (let k = i; k < entries.length; k += legacy.length) {
        const [table, services] = entries[k] as [string, readonly ServiceName[]];
        const routed = job.routing.bySource.get(table);
        if (!routed) throw new PgcarveError('internal', `backfill of ${table}, which no mapping reads`);
        plans.push(await planTable(session.client, routed, services, { ...job.plan, maxRanges: concurrency * 4 }));
      }
    }),
  );
  return plans;
}

/** Empties the owned target tables and records `copying`, in one transaction per service. */
async function startTable(job: CopyJob, plan: TablePlan, session: (service: ServiceName) => Promise<TargetSession>): Promise<void> {
  for (const service of plan.services) {
    const target = await session(service);
    const owned = plan.routed.targets.filter((t) => t.kind === 'owned' && t.service === service).map((t) => `public.${target.client.escapeIdentifier(t.table)}`);
    await target.write(
      [],
      async (client) => {
        if (owned.length > 0) await client.query(`TRUNCATE ${[...new Set(owned)].join(', ')}`);
        await markStarted(client, job.slot, plan.table, 'copying', job.snapshotLsn, plan.rowsEstimated);
      },
      false,
    );
    job.observer.stateChanged(service, plan.table, 'copying');
    job.observer.progress(service, plan.table, 0, plan.rowsEstimated);
  }
}

async function finishTable(job: CopyJob, plan: TablePlan, run: TableRun, session: (service: ServiceName) => Promise<TargetSession>): Promise<void> {
  for (const service of plan.services) {
    const target = await session(service);
    await target.write([], (client) => markCopied(client, job.slot, plan.table), false);
    job.observer.stateChanged(service, plan.table, 'copied');
  }
  job.log.info(`backfill: ${plan.table} copied (${run.rowsDone} rows)`, { table: plan.table, rows: run.rowsDone, services: plan.services });
}

async function copyRange(
  job: CopyJob,
  unit: Unit,
  legacy: SnapshotSession,
  session: (service: ServiceName) => Promise<TargetSession>,
  run: TableRun,
  stopped: () => boolean,
): Promise<number> {
  const { plan } = unit;
  const factory = new LegacyRowFactory(plan.table, plan.columns);
  const services = new Set(plan.services);
  const pages = legacy.pages(plan, unit.range, job.page);
  let copied = 0;
  const write = async (ops: ReadonlyMap<ServiceName, readonly TargetOp[]>, n: number): Promise<void> => {
    for (const service of plan.services) {
      const target = await session(service);
      const batch = ops.get(service) ?? [];
      const state = (client: pg.Client): Promise<void> => addRowsCopied(client, job.slot, plan.table, n);
      try {
        // The owned target tables were emptied when the table started, so its rows go straight in
        // by COPY. A key that exists (a row two source rows map to, another table's reference row)
        // makes the COPY fail: the batch is then rolled back and written again as upserts.
        await target.write(batch, state, true, 'copy-into-table');
      } catch {
        await target.write(batch, state, true, 'upsert');
      }
    }
    copied += n;
    run.rowsDone += n;
    for (const service of plan.services) {
      job.observer.rowsCopied(service, plan.table, n);
      job.observer.progress(service, plan.table, run.rowsDone, plan.rowsEstimated);
    }
  };
  // Three stages overlap: the next page is read while this one is mapped, and mapped while the
  // previous one is written. At most one page is read ahead and one written behind.
  let next = pages.next();
  let writing: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      const page = await next;
      if (page.done || stopped()) break;
      next = pages.next();
      const ops = new Map<ServiceName, TargetOp[]>();
      const sink: OpSink = (service, op) => {
        if (!services.has(service)) return;
        let list = ops.get(service);
        if (!list) ops.set(service, (list = []));
        list.push(op);
      };
      for (const values of page.value) deriveUpsert(job.routing, plan.routed, factory.row(values), undefined, 'insert', sink);
      await writing;
      writing = write(ops, page.value.length);
      writing.catch(() => undefined); // awaited on the next turn; not an unhandled rejection meanwhile
    }
    await writing;
    return copied;
  } finally {
    // Let a read or write in flight finish (and the cursor close) before the sessions are used again.
    await writing.catch(() => undefined);
    await next.catch(() => undefined);
    await pages.return(undefined).catch(() => undefined);
  }
}
