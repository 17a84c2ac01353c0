import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { readBackfillStates, type BackfillStateKind } from '../state/backfill-state.js';
import { readSeal } from '../state/cutover-marker.js';
import { liveRepairs } from '../state/repair-liveness.js';
import { formatLsn, type Lsn } from '../lsn.js';
import { classify } from '../errors/classify.js';
import type { PgcarveError } from '../errors/pgcarve-error.js';
import type { SourceKey, TextValue } from '../values.js';
import type { ResolvedTarget, RoutedTable, RoutingTable } from '../router/routing-table.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import { loadTableShapes, type TableShape } from '../targets/table-shape.js';
import type { DriftObserver, DriftReport, ServiceDrift, ServiceOutcome, SkippedTable } from './drift-report.js';
import { expectedRows, targetId, type ExpectedRow, type ExpectedTable } from './expected-rows.js';
import { connectLegacyReader, describeKey, loadLegacyTables, readChunk, readKeys, type LegacyRead, type LegacyTable } from './legacy-rows.js';
import { pause } from '../pause.js';
import { TableTally } from './table-tally.js';
import { compareOwned, compareReference, inTargetSnapshot, type TargetDifference, type TargetScope } from './target-compare.js';
import { ServiceBehind, waitForCheckpoint } from './wait-checkpoint.js';
import { connect } from '../pg/with-client.js';

export interface VerifyOptions {
  readonly legacyUrl: string;
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
  readonly slot: string;
  readonly routing: RoutingTable;
  /** The services to check (default: all). */
  readonly services?: readonly ServiceName[];
  /** Legacy rows per chunk (default 500): each chunk is one short transaction on the legacy database. */
  readonly chunkSize?: number;
  /** Pause between chunks, to keep the load on the legacy database low (default 0). */
  readonly pauseMs?: number;
  /** How long to wait for a service to apply up to a chunk's read position (default 30 s). */
  readonly waitTimeoutMs?: number;
  /** Re-checks of a row that keeps changing in the legacy database before it is left unsettled (default 3). */
  readonly maxRounds?: number;
  /** Sample keys kept per drifted table (default 5). */
  readonly sampleKeys?: number;
  /**
   * Inside the sidecar: a service's applied position in memory. Everything below it is committed in
   * the service database (transactions without changes for it are not written to its checkpoint
   * at once), so the check need not wait for the next checkpoint write.
   */
  readonly appliedPosition?: (service: ServiceName) => Lsn | undefined;
  /** Why a service's writer is stopped, when it is (its checkpoint will not move). */
  readonly stopped?: (service: ServiceName) => string | undefined;
  /** Check services recorded as cut over too (pgcarve.cutover); `cutover` itself does. */
  readonly includeCutOver?: boolean;
  readonly observer?: DriftObserver;
  readonly signal?: AbortSignal;
}

/** Backfill states (backfill-state.ts) of a table whose rows are being copied: not checked. */
/** A target table as the check compares it. */
interface TargetPlan {
  readonly target: ResolvedTarget;
  readonly shape: TableShape;
  readonly columns: readonly string[];
  /** The target key is the legacy key (same values and types): compare key ranges, find extras. */
  readonly byRange: boolean;
  readonly tally: TableTally;
}

interface ServiceRun {
  outcome: ServiceOutcome | undefined;
  client: pg.Client | undefined;
  shapes: ReadonlyMap<string, TableShape> | undefined;
  readonly tallies: Map<string, TableTally>;
  readonly skippedTables: SkippedTable[];
  backfilling: ReadonlyMap<string, SkippedTable>;
}

/**
 * Compares what the legacy database implies with what the service databases hold, race-free
 * while both take writes:
 *
 * 1. Each mapped legacy table is read in key order, one chunk per short REPEATABLE READ
 *    transaction that also reads the WAL insert position R (keyset pagination; a pause between
 *    chunks keeps the legacy load low).
 * 2. The chunk is mapped with the same code as streaming (deriveUpsert), and each service compares
 *    the result with its rows of that key range, in PostgreSQL on typed values, reading its
 *    checkpoint C in the same snapshot. Equal: done (the common case).
 * 3. A difference may only mean the target has not caught up. If C < R, wait (bounded) until the
 *    service has applied past R and compare again: now the target reflects at least everything
 *    the legacy snapshot showed.
 * 4. It may also mean the target applied a newer change than the snapshot showed. So the legacy
 *    rows still differing are read again (new snapshot, after the target read): a row whose
 *    version (xmin) is unchanged was not written in between, so the target must equal the mapped
 *    row: the difference is drift. A row that changed is re-checked from step 3 with its new
 *    version, up to maxRounds times, then reported as unsettled, never as drift.
 */
export async function verifyDrift(options: VerifyOptions): Promise<DriftReport> {
  return await new DriftVerification(options).run();
}

class DriftVerification {
  private readonly services: readonly ServiceName[];
  private readonly runs = new Map<ServiceName, ServiceRun>();
  private legacy: pg.Client | undefined;
  private chunks = 0;
  private rechecks = 0;

  constructor(private readonly options: VerifyOptions) {
    this.services = options.services ?? SERVICES;
    for (const service of this.services) this.runs.set(service, { outcome: undefined, client: undefined, shapes: undefined, tallies: new Map(), skippedTables: [], backfilling: new Map() });
  }

  async run(): Promise<DriftReport> {
    const startedAt = new Date().toISOString();
    try {
      this.legacy = await connectLegacyReader(this.options.legacyUrl);
      for (const service of this.services) await this.prepare(service);
      const routed = [...this.options.routing.bySource.values()].filter((r) => r.targets.some((t) => this.runs.has(t.service)));
      const legacyTables = await loadLegacyTables(this.legacy, routed.map((r) => ({ table: r.mapping.source, key: r.mapping.sourceKey })));
      for (const table of routed) {
        if (this.options.signal?.aborted) break;
        await this.verifyTable(table, legacyTables.get(table.mapping.source) as LegacyTable);
      }
    } finally {
      await this.legacy?.end().catch(() => undefined);
      for (const run of this.runs.values()) await run.client?.end().catch(() => undefined);
    }
    const finishedAt = new Date();
    const services: ServiceDrift[] = this.services.map((service) => {
      const run = this.runs.get(service) as ServiceRun;
      const outcome: ServiceOutcome = run.outcome ?? (this.options.signal?.aborted ? { kind: 'skipped', reason: 'the check was stopped' } : { kind: 'verified' });
      this.options.observer?.serviceChecked(service, outcome, finishedAt.getTime());
      return { service, outcome, tables: [...run.tallies.values()].map((t) => t.result()), skippedTables: run.skippedTables };
    });
    return { startedAt, finishedAt: finishedAt.toISOString(), chunks: this.chunks, rechecks: this.rechecks, services };
  }

  /** Connects to the service, loads its table shapes and which tables are still being backfilled. */
  private async prepare(service: ServiceName): Promise<void> {
    const run = this.runs.get(service) as ServiceRun;
    const stopped = this.options.stopped?.(service);
    if (stopped !== undefined) {
      run.outcome = { kind: 'behind', reason: `its writer is stopped: ${stopped}` };
      return;
    }
    try {
      const client = await connect(this.options.serviceUrls[service], { doing: `verifying ${service}`, application: 'pgcarve-verify' });
      run.client = client;
      await client.query("SET TIME ZONE 'UTC'");
      const seal = this.options.includeCutOver ? undefined : await readSeal(client, this.options.slot);
      if (seal !== undefined) {
        run.outcome = { kind: 'sealed', reason: `cut over at ${seal.at}, forward path sealed at ${formatLsn(seal.fenceLsn)} (pgcarve.cutover): its database is the source of truth; legacy writes after the seal are counted, not applied` };
        return;
      }
      run.shapes = await loadTableShapes(client, service, this.options.routing.tablesByService.get(service) ?? []);
      // The backfill's own reader: a table not `copied` is being copied or repaired.
      const backfill = (await readBackfillStates(client, this.options.slot).catch(() => [])).filter((b) => b.kind !== 'copied');
      const live = await liveRepairs(client, this.options.slot, backfill.filter((b) => b.kind === 'repairing').map((b) => b.table));
      run.backfilling = new Map(backfill.map((b) => [b.table, skippedTable(service, b.table, b.kind, live.has(b.table))]));
    } catch (error) {
      this.fail(service, classify(error, `verifying ${service}`));
    }
  }

  private fail(service: ServiceName, error: PgcarveError): void {
    const run = this.runs.get(service) as ServiceRun;
    run.outcome ??= { kind: 'failed', reason: error.message, errorKind: error.kind };
  }

  private active(service: ServiceName): boolean {
    return this.runs.get(service)?.outcome === undefined;
  }

  private plan(service: ServiceName, routed: RoutedTable, legacy: LegacyTable): TargetPlan[] {
    const run = this.runs.get(service) as ServiceRun;
    return routed.targets
      .filter((t) => t.service === service)
      .map((target) => {
        const shape = run.shapes?.get(target.table) as TableShape;
        const byRange = target.kind === 'owned' && keyIsLegacyKey(target, legacy, shape);
        let tally = run.tallies.get(targetId(target));
        if (!tally) run.tallies.set(targetId(target), (tally = new TableTally(target, routed.mapping.source, byRange, this.options.sampleKeys ?? 5)));
        const columns = getTableConfig(target.declaration.table as PgTable).columns.map((c) => c.name);
        return { target, shape, columns, byRange, tally };
      });
  }

  private async verifyTable(routed: RoutedTable, legacy: LegacyTable): Promise<void> {
    const plans = new Map<ServiceName, TargetPlan[]>();
    for (const service of routed.services) {
      const run = this.runs.get(service);
      if (!run || !this.active(service)) continue;
      const busy = run.backfilling.get(legacy.table);
      if (busy) {
        run.skippedTables.push(busy);
        continue;
      }
      plans.set(service, this.plan(service, routed, legacy));
    }
    const chunkSize = this.options.chunkSize ?? 500;
    let after: readonly TextValue[] | undefined;
    for (;;) {
      const services = [...plans.keys()].filter((s) => this.active(s));
      if (services.length === 0 || this.options.signal?.aborted) return;
      const chunk = await readChunk(this.legacy as pg.Client, legacy, after, chunkSize);
      this.chunks += 1;
      const upTo = chunk.rows.length < chunkSize ? undefined : chunk.rows[chunk.rows.length - 1]?.key;
      let expected: ReadonlyMap<string, ExpectedTable>;
      try {
        expected = expectedRows(this.options.routing, routed, chunk.rows, new Set(services));
      } catch (error) {
        for (const service of services) this.fail(service, classify(error, `mapping legacy ${legacy.table}`));
        return;
      }
      for (const service of services) {
        try {
          await this.verifyChunk(service, routed, legacy, plans.get(service) as TargetPlan[], chunk, expected, after, upTo);
        } catch (error) {
          const run = this.runs.get(service) as ServiceRun;
          if (error instanceof ServiceBehind) run.outcome ??= { kind: 'behind', reason: error.message };
          else this.fail(service, classify(error, `verifying ${service}`));
        }
      }
      if (upTo === undefined) break;
      after = upTo;
      await pause(this.options.pauseMs ?? 0, this.options.signal);
    }
    for (const [service, servicePlans] of plans) {
      if (this.active(service)) for (const plan of servicePlans) this.options.observer?.tableChecked(plan.tally.result());
    }
  }

  /** Steps 2 to 4 of the class comment for one chunk and one service. */
  private async verifyChunk(
    service: ServiceName,
    routed: RoutedTable,
    legacy: LegacyTable,
    plans: readonly TargetPlan[],
    chunk: LegacyRead,
    expected: ReadonlyMap<string, ExpectedTable>,
    after: readonly TextValue[] | undefined,
    upTo: readonly TextValue[] | undefined,
  ): Promise<void> {
    const client = (this.runs.get(service) as ServiceRun).client as pg.Client;
    const chunkSources = chunk.rows.map((r) => r.id);
    let { checkpoint, value: diffs } = await this.compare(client, service, legacy, plans, expected, { kind: 'range', after, upTo }, chunkSources);
    for (const plan of plans) {
      const count = (expected.get(targetId(plan.target))?.rows.size ?? 0) + (diffs.get(plan)?.filter((d) => d.kind === 'extra').length ?? 0);
      plan.tally.checkedRows += count;
      this.options.observer?.rowsChecked(service, plan.target.table, count);
    }
    if (sourcesOf(diffs).size === 0) return;
    this.rechecks += 1;
    let current = chunk;
    let currentExpected = expected;
    const maxRounds = this.options.maxRounds ?? 3;
    for (let round = 1; ; round += 1) {
      if (checkpoint < current.readLsn) {
        await this.waitFor(service, client, current.readLsn);
        ({ checkpoint, value: diffs } = await this.compare(client, service, legacy, plans, currentExpected, 'keys', [...sourcesOf(diffs)]));
      }
      const pending = sourcesOf(diffs);
      if (pending.size === 0) return;
      const again = await readKeys(this.legacy as pg.Client, legacy, [...pending].map((id) => JSON.parse(id) as TextValue[]));
      const before = new Map(current.rows.map((r) => [r.id, r.version]));
      const now = new Map(again.rows.map((r) => [r.id, r.version]));
      const unstable = new Set([...pending].filter((id) => before.get(id) !== now.get(id)));
      for (const [plan, list] of diffs) {
        for (const d of list) if (!unstable.has(d.source)) plan.tally.confirmed(d.kind, d.key, describeKey(legacy, d.source), d.columns);
      }
      if (unstable.size === 0) return;
      if (round >= maxRounds) {
        for (const [plan, list] of diffs) plan.tally.unsettledRows(list.filter((d) => unstable.has(d.source)).length);
        return;
      }
      current = { readLsn: again.readLsn, rows: again.rows.filter((r) => unstable.has(r.id)) };
      currentExpected = expectedRows(this.options.routing, routed, current.rows, new Set([service]));
      ({ checkpoint, value: diffs } = await this.compare(client, service, legacy, plans, currentExpected, 'keys', [...unstable]));
    }
  }

  private async waitFor(service: ServiceName, client: pg.Client, lsn: Lsn): Promise<void> {
    await waitForCheckpoint(client, this.options.slot, lsn, {
      timeoutMs: this.options.waitTimeoutMs ?? 30_000,
      ...(this.options.appliedPosition ? { applied: () => this.options.appliedPosition?.(service) } : {}),
      stopped: () => this.options.stopped?.(service),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
  }

  /**
   * Compares every target of the service in one target snapshot. `range` covers the chunk's key
   * range (targets keyed otherwise: the target keys the chunk's legacy keys derive); `keys` only
   * the rows of the given legacy keys.
   */
  private async compare(
    client: pg.Client,
    service: ServiceName,
    legacy: LegacyTable,
    plans: readonly TargetPlan[],
    expected: ReadonlyMap<string, ExpectedTable>,
    scope: TargetScope | 'keys',
    sources: readonly string[],
  ): Promise<{ checkpoint: Lsn; value: Map<TargetPlan, TargetDifference[]> }> {
    const wanted = new Set(sources);
    // Read before the snapshot: everything below it was committed before the snapshot was taken.
    const applied = this.options.appliedPosition?.(service);
    const compared = await inTargetSnapshot(client, this.options.slot, async () => {
      const diffs = new Map<TargetPlan, TargetDifference[]>();
      for (const plan of plans) {
        const rows: ExpectedRow[] = [...(expected.get(targetId(plan.target))?.rows.values() ?? [])].filter((r) => wanted.has(r.source));
        let found: TargetDifference[];
        if (plan.target.kind === 'reference') found = await compareReference(client, service, plan.shape, rows);
        else if (scope !== 'keys' && plan.byRange) found = await compareOwned(client, service, plan.shape, plan.columns, rows, scope);
        else found = await compareOwned(client, service, plan.shape, plan.columns, rows, { kind: 'keys', keys: derivedKeys(plan.target, legacy, sources) });
        if (found.length > 0) diffs.set(plan, found);
      }
      return diffs;
    });
    return { checkpoint: applied !== undefined && applied > compared.checkpoint ? applied : compared.checkpoint, value: compared.value };
  }
}

/** Why a table in backfill state `state` is not compared. */
function skippedTable(service: ServiceName, table: string, state: BackfillStateKind, repairLive: boolean): SkippedTable {
  if (state !== 'repairing') return { table, state: 'backfilling', reason: `the initial backfill is copying it (pgcarve.backfill: ${state})` };
  if (repairLive) return { table, state: 'repairing', reason: 'a running pgcarve backfill is re-copying it' };
  return { table, state: 'repair-interrupted', reason: `NOT VERIFIED: a pgcarve backfill of it ended before it finished (interrupted, timed out, or the sidecar stopped); finish it: pgcarve backfill --service ${service} --table ${table}` };
}

function sourcesOf(diffs: ReadonlyMap<TargetPlan, readonly TargetDifference[]>): Set<string> {
  const out = new Set<string>();
  for (const list of diffs.values()) for (const d of list) out.add(d.source);
  return out;
}

/** The target keys that legacy keys (as keyId JSON) derive, by the mapping's fromSourceKey. */
function derivedKeys(target: ResolvedTarget, legacy: LegacyTable, sources: readonly string[]): { key: TextValue[]; source: string }[] {
  const derive = target.fromSourceKey;
  if (!derive) return [];
  return sources.map((source) => {
    const values = JSON.parse(source) as TextValue[];
    const key = derive(Object.fromEntries(legacy.key.map((k, i) => [k.column, values[i] ?? null])) as SourceKey);
    return { key: target.key.map((c) => key[c] ?? null), source };
  });
}

/** Key types whose order depends on a collation, which may differ between two databases. */
const COLLATED = /^(text|character varying|character|citext|name)\b/;

/**
 * Whether an owned target's key is the legacy key itself (fromSourceKey copies the key values in
 * order, and the key columns have the same types, none ordered by a collation): then its rows sort
 * as the legacy rows do, and a key range of the legacy table is the same key range of the target.
 */
function keyIsLegacyKey(target: ResolvedTarget, legacy: LegacyTable, shape: TableShape): boolean {
  if (!target.fromSourceKey || target.key.length !== legacy.key.length) return false;
  if (legacy.key.some((k) => COLLATED.test(k.type))) return false;
  const probe = Object.fromEntries(legacy.key.map((k, i) => [k.column, `\u0000probe${i}`]));
  try {
    const key = target.fromSourceKey(probe);
    return target.key.every((c, i) => key[c] === `\u0000probe${i}` && shape.types.get(c) === legacy.key[i]?.type);
  } catch {
    return false;
  }
}
