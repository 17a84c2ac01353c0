import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { emitFence } from '../../src/fence.js';
import { formatLsn } from '../../src/lsn.js';
import { withClient, currentWalLsn, findClientTools, startBenchCluster, BENCH_PG_MAJOR } from './bench-cluster.js';
import { createBenchDatabases, freshTargets, type BenchDatabases } from './bench-databases.js';
import { BENCH_ROWS, type BenchReport, type BenchRow, type BenchRowName } from './bench-report.js';
import { SMALL_TRANSACTION_CHANGES, writeLargeTransaction, writeSmallTransactions } from './backlog.js';
import { installApplyClock, measureLatency, writeProbes, type LatencyResult } from './commit-latency.js';
import { createDecodeSlots, dropDecodeSlots, timePgcarveDecode, timeRecvlogical } from './decode-ceiling.js';
import { timeDumpRestore } from './dump-restore.js';
import { fenceAndWait, startSidecar, timeBackfill, timeDrain } from './in-process-sidecar.js';
import { backfillPeakRss, backlogComposition, backlogPeakRss } from './memory-peak.js';
import { NativeReplication } from './native-replication.js';
import { measureApplyStrategies } from './apply-strategies.js';
import { summarize } from './sample-stats.js';

/** How big each measurement is. `quick` is a smoke run of a few minutes. */
export interface BenchSizes {
  readonly scale: number;
  /** Small transactions (6 changes across 4 services each) in the catch-up backlog. */
  readonly smallTransactions: number;
  /** Rows of the one large transaction of the catch-up comparison. */
  readonly largeTransactionRows: number;
  readonly catchUpRepetitions: number;
  readonly backfillRepetitions: number;
  readonly latencyChangesPerSecond: number;
  readonly latencySeconds: number;
  /** Changes in the backlog `pgcarve run`'s peak RSS is measured through (and a quarter of it). */
  readonly memoryBacklogChanges: number;
  readonly applyBatchRows: number;
  readonly applyRepetitions: number;
}

export const QUICK_SIZES: BenchSizes = {
  scale: 2,
  smallTransactions: 2_000,
  largeTransactionRows: 20_000,
  catchUpRepetitions: 2,
  backfillRepetitions: 2,
  latencyChangesPerSecond: 5_000,
  latencySeconds: 5,
  memoryBacklogChanges: 40_000,
  applyBatchRows: 2_000,
  applyRepetitions: 3,
};

/** The sizes of issue 15's goals: 40k small transactions, a 400k-row transaction, ≥ 1M rows backfilled, a 1M-change backlog. */
export const FULL_SIZES: BenchSizes = {
  scale: 300,
  smallTransactions: 40_000,
  largeTransactionRows: 400_000,
  catchUpRepetitions: 3,
  backfillRepetitions: 3,
  latencyChangesPerSecond: 5_000,
  latencySeconds: 20,
  memoryBacklogChanges: 1_000_000,
  applyBatchRows: 10_000,
  applyRepetitions: 5,
};

export interface BenchOptions {
  readonly mode: 'quick' | 'full';
  readonly sizes: BenchSizes;
  readonly command: string;
  /** Where the JSON report goes. */
  readonly jsonFile: string;
  /** Progress lines. */
  readonly progress: (line: string) => void;
}

const ratioGoal = (minimum: number) => (ratio: number | undefined) => ratio !== undefined && ratio >= minimum;
const rowsPerSecond = (rows: number) => (ms: number) => rows / (ms / 1000);

/**
 * Runs every measurement on one throw-away PostgreSQL 15 server, each pgcarve figure beside its
 * alternative in the same run, and writes the report as JSON. A measurement that fails becomes a
 * row saying why; the others still run. The server is destroyed at the end, whatever happens.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const { sizes, progress } = options;
  const tools = findClientTools(BENCH_PG_MAJOR);
  const rows = new Map<BenchRowName, BenchRow>();
  const fail = (names: readonly BenchRowName[], unit: BenchRow['unit'], error: unknown): void => {
    const message = error instanceof Error ? error.message.split('\n')[0] ?? String(error) : String(error);
    progress(`  failed: ${message}`);
    for (const name of names) if (!rows.has(name)) rows.set(name, { name, unit, detail: 'not measured', error: message });
  };
  let cluster: EmbeddedCluster | undefined;
  let postgres = 'PostgreSQL 15';
  let nativeProblem = 'not set up';
  try {
    progress('starting PostgreSQL 15 and seeding the legacy database');
    cluster = await startBenchCluster();
    const db = await createBenchDatabases(cluster, sizes.scale);
    postgres = await withClient(db.legacyUrl, async (c) => (await c.query<{ v: string }>("SELECT 'PostgreSQL ' || current_setting('server_version') AS v")).rows[0]?.v ?? postgres);
    progress(`  ${db.seededRows.toLocaleString('en-US')} rows in ${db.mappedTables.length} mapped legacy tables (scale ${sizes.scale})`);

    await section('backfill', () => measureBackfill(db), (e) => fail(['backfill'], 'rows/s', e));
    await section('memory during backfill', () => measureBackfillMemory(db), (e) => fail(['memory: backfill'], 'MiB', e));
    const native: { perService?: NativeReplication; single?: NativeReplication } = {};
    await section('native logical replication set-up', async () => {
      native.single = await NativeReplication.create(db, 'single');
      native.perService = await NativeReplication.create(db, 'per-service');
    }, (e) => {
      nativeProblem = `set-up failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
      progress(`  ${nativeProblem}`);
    });
    await section('catch-up and decode', () => measureCatchUp(db, native.single, native.perService), (e) =>
      fail(['catch-up: small transactions vs one native subscription', 'catch-up: small transactions vs native per service', 'catch-up: one large transaction vs one native subscription', 'decode ceiling'], 'rows/s', e),
    );
    await section('steady-state latency', () => measureLatencies(db, native.perService), (e) => fail(['latency p50', 'latency p99'], 'ms', e));
    await section('memory through a backlog', () => measureBacklogMemory(db), (e) => fail(['memory: backlog', 'memory: backlog / 4'], 'MiB', e));
    await section('apply strategies', () => measureApply(db.cluster), (e) => fail(['apply strategy: unnest arrays', 'apply strategy: multi-row VALUES', 'apply strategy: COPY + INSERT SELECT'], 'rows/s', e));
  } finally {
    await cluster?.destroy();
  }

  const report: BenchReport = {
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    mode: options.mode,
    machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.versions.node, postgres, clientTools: tools.kind === 'found' ? tools.binDir : `missing (${tools.reason})` },
    sizes: { ...sizes },
    command: options.command,
    rows: BENCH_ROWS.map((name) => rows.get(name) ?? { name, unit: 'rows/s', detail: 'not measured', error: 'the run stopped before this measurement' }),
    elapsedSeconds: (performance.now() - started) / 1000,
  };
  mkdirSync(dirname(options.jsonFile), { recursive: true });
  writeFileSync(options.jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  return report;

  async function section(title: string, run: () => Promise<void>, onError: (error: unknown) => void): Promise<void> {
    progress(title);
    try {
      await run();
    } catch (error) {
      onError(error);
    }
  }

  async function measureBackfill(db: BenchDatabases): Promise<void> {
    const pgcarve: number[] = [];
    const dump: number[] = [];
    for (let rep = 0; rep < sizes.backfillRepetitions; rep += 1) {
      await freshTargets(db);
      pgcarve.push(await timeBackfill(db.config()));
      if (tools.kind === 'found') dump.push(await timeDumpRestore(db.cluster, tools, db.legacyUrl, db.mappedTables));
      progress(`  repetition ${rep + 1}: pgcarve ${ms(pgcarve.at(-1))}, pg_dump | psql ${ms(dump.at(-1))}`);
    }
    const perSecond = rowsPerSecond(db.seededRows);
    rows.set('backfill', comparison('backfill', `${db.seededRows.toLocaleString('en-US')} rows of the ${db.mappedTables.length} mapped legacy tables into fresh targets (pgcarve: through the mappings into 5 databases; alternative: pg_dump --data-only -t <tables> | psql into an empty copy of the legacy schema); ${sizes.backfillRepetitions} repetitions`, pgcarve.map(perSecond), 'pg_dump --data-only | psql', dump.map(perSecond), '≥ 1.5×', ratioGoal(1.5)));
  }

  async function measureBackfillMemory(db: BenchDatabases): Promise<void> {
    await freshTargets(db);
    const peak = await backfillPeakRss(db);
    rows.set('memory: backfill', memoryRow('memory: backfill', peak, `peak RSS (VmHWM) of a child \`pgcarve run\` backfilling ${db.seededRows.toLocaleString('en-US')} rows into fresh targets`));
  }

  /**
   * Per repetition two backlogs, each written while every consumer is stopped and drained by each
   * consumer in turn (the order alternates between repetitions, so neither side always reads a
   * colder WAL): small transactions (pgcarve, one native subscription, native per service, then
   * the decode-only readers), then one large transaction (pgcarve, one native subscription).
   */
  async function measureCatchUp(db: BenchDatabases, single: NativeReplication | undefined, perService: NativeReplication | undefined): Promise<void> {
    const config = db.config();
    const small = { pgcarve: [] as number[], single: [] as number[], perService: [] as number[] };
    const large = { pgcarve: [] as number[], single: [] as number[] };
    const decode = { pgcarve: [] as number[], recvlogical: [] as number[] };
    const timeout = 1_800_000;
    const inOrder = async (rep: number, steps: readonly (() => Promise<void>)[]): Promise<void> => {
      for (const step of rep % 2 === 0 ? steps : [...steps].reverse()) await step();
    };
    let smallChanges = 0;
    let largeChanges = 0;
    for (let rep = 0; rep < sizes.catchUpRepetitions; rep += 1) {
      await createDecodeSlots(db.legacyUrl);
      const backlog = await writeSmallTransactions(db.legacyUrl, sizes.smallTransactions, `small-${rep}`);
      smallChanges = backlog.changes;
      const fence = await emitFence(db.legacyUrl);
      const perSecond = rowsPerSecond(backlog.changes);
      await inOrder(rep, [
        async () => void small.pgcarve.push(perSecond(await timeDrain(config, fence, timeout))),
        async () => void (single && small.single.push(perSecond(await single.timeDrain(formatLsn(fence), timeout)))),
        async () => void (perService && small.perService.push(perSecond(await perService.timeDrain(formatLsn(fence), timeout)))),
      ]);
      const decoded = await timePgcarveDecode(db.legacyUrl, config.publication, fence);
      decode.pgcarve.push(perSecond(decoded.ms));
      if (tools.kind === 'found') decode.recvlogical.push(perSecond(await timeRecvlogical(tools.pgRecvlogical, db.legacyUrl, config.publication, fence)));
      await dropDecodeSlots(db.legacyUrl);
      progress(`  repetition ${rep + 1}: ${backlog.changes.toLocaleString('en-US')} changes in ${backlog.transactions.toLocaleString('en-US')} transactions; pgcarve ${rate(small.pgcarve.at(-1))}, one native subscription ${rate(small.single.at(-1))}, native per service ${rate(small.perService.at(-1))}; decode pgcarve ${rate(decode.pgcarve.at(-1))} (${decoded.changes.toLocaleString('en-US')} changes seen), pg_recvlogical ${rate(decode.recvlogical.at(-1))}`);

      const bulk = await writeLargeTransaction(db.legacyUrl, sizes.largeTransactionRows, `large-${rep}`);
      largeChanges = bulk.changes;
      const bulkFence = await emitFence(db.legacyUrl);
      const bulkPerSecond = rowsPerSecond(bulk.changes);
      await inOrder(rep, [
        async () => void large.pgcarve.push(bulkPerSecond(await timeDrain(config, bulkFence, timeout))),
        async () => void (single && large.single.push(bulkPerSecond(await single.timeDrain(formatLsn(bulkFence), timeout)))),
      ]);
      await perService?.skipTo(formatLsn(bulkFence));
      progress(`  repetition ${rep + 1}: one transaction of ${bulk.changes.toLocaleString('en-US')} rows; pgcarve ${rate(large.pgcarve.at(-1))}, one native subscription ${rate(large.single.at(-1))}`);
    }
    const smallWhat = `a backlog of ${sizes.smallTransactions.toLocaleString('en-US')} small transactions (${smallChanges.toLocaleString('en-US')} changes: ${SMALL_TRANSACTION_CHANGES} per transaction across 4 services, inserts and updates) on the 1:1 tables, written while every consumer was stopped; ${sizes.catchUpRepetitions} repetitions, paired, order alternating`;
    const pgcarveSide = 'pgcarve: start to fence applied in all 5 databases';
    const singleSide = "one native subscription of every mapped table into a 1:1 copy of the legacy database on the same server (the limit: one walsender, C apply, no mapping), ENABLE to the slot's confirmed_flush_lsn past the fence";
    rows.set('catch-up: small transactions vs one native subscription', comparison('catch-up: small transactions vs one native subscription', `${smallWhat}; ${pgcarveSide}; ${singleSide}`, small.pgcarve, single ? 'one native subscription' : undefined, small.single, '≥ 0.8×', ratioGoal(0.8)));
    rows.set('catch-up: small transactions vs native per service', comparison('catch-up: small transactions vs native per service', `${smallWhat}; ${pgcarveSide}; native: one subscription per service database over its 1:1 tables (row filter on activity_logs), ENABLE to every slot's confirmed_flush_lsn past the fence`, small.pgcarve, perService ? 'native, one subscription per service' : undefined, small.perService, '≥ 2×', ratioGoal(2)));
    rows.set('catch-up: one large transaction vs one native subscription', comparison('catch-up: one large transaction vs one native subscription', `one legacy transaction inserting ${largeChanges.toLocaleString('en-US')} activity_logs rows (half in the scraper filter), written while every consumer was stopped; ${sizes.catchUpRepetitions} repetitions, paired; ${pgcarveSide}; ${singleSide}`, large.pgcarve, single ? 'one native subscription' : undefined, large.single, '≥ 0.8×', ratioGoal(0.8)));
    rows.set('decode ceiling', comparison('decode ceiling', `the small-transaction backlog read from a fresh slot, no writes: pgcarve ReplicationStream + PgoutputDecoder vs pg_recvlogical -o proto_version=1 -f /dev/null --endpos`, decode.pgcarve, 'pg_recvlogical', decode.recvlogical, '≥ 1.0×', ratioGoal(1.0)));
  }

  async function measureLatencies(db: BenchDatabases, native: NativeReplication | undefined): Promise<void> {
    const config = db.config();
    const sidecar = startSidecar(config);
    let ours: LatencyResult;
    try {
      await sidecar.streaming;
      await fenceAndWait(config, 600_000);
      const probes = await writeProbes(db.legacyUrl, 'latency-pgcarve', sizes.latencyChangesPerSecond, sizes.latencySeconds);
      if (!(await fenceAndWait(config, 600_000))) throw new Error('pgcarve did not apply the probes');
      ours = await measureLatency(db.legacyUrl, config.serviceUrls.scraper_db, probes);
    } finally {
      await sidecar.stop();
    }
    let theirs: LatencyResult | undefined;
    if (native) {
      await installApplyClock(native.url('scraper_db'));
      await native.setEnabled(true);
      try {
        if (!(await native.waitConfirmed(await currentWalLsn(db.legacyUrl), 600_000))) throw new Error('native replication did not catch up before the latency run');
        const probes = await writeProbes(db.legacyUrl, 'latency-native', sizes.latencyChangesPerSecond, sizes.latencySeconds);
        if (!(await native.waitConfirmed(await currentWalLsn(db.legacyUrl), 600_000))) throw new Error('native replication did not apply the probes');
        theirs = await measureLatency(db.legacyUrl, native.url('scraper_db'), probes, 'apply-clock');
      } finally {
        await native.setEnabled(false);
      }
    }
    progress(`  pgcarve p50 ${ours.p50Ms.toFixed(1)} ms, p99 ${ours.p99Ms.toFixed(1)} ms at ${Math.round(ours.achievedChangesPerSecond)} changes/s; native p50 ${theirs?.p50Ms.toFixed(1) ?? '–'} ms, p99 ${theirs?.p99Ms.toFixed(1) ?? '–'} ms`);
    const detail = `legacy commit to target commit (pg_xact_commit_timestamp on both, same clock) of ${ours.rows.toLocaleString('en-US')} activity_logs rows written at ${Math.round(ours.achievedChangesPerSecond).toLocaleString('en-US')} changes/s (10-row transactions, 2 connections) for ${sizes.latencySeconds} s, pgcarve at its default batching (${config.batchMaxTransactions} transactions / ${config.batchMaxLatencyMs} ms); the native subscriber's time is a trigger's clock_timestamp() at apply (its commits carry the origin's timestamp), which slightly favours it`;
    const lower = (a: number, b: number | undefined): number | undefined => (b === undefined ? undefined : b / a);
    const alternative = (value: number | undefined) => ({ name: 'native logical replication', ...(value === undefined ? { missing: nativeProblem } : { stats: summarize([value]) }) });
    rows.set('latency p50', { name: 'latency p50', unit: 'ms', detail, pgcarve: summarize([ours.p50Ms]), alternative: alternative(theirs?.p50Ms), ...(theirs ? { ratio: lower(ours.p50Ms, theirs.p50Ms) } : {}) });
    rows.set('latency p99', { name: 'latency p99', unit: 'ms', detail, pgcarve: summarize([ours.p99Ms]), alternative: alternative(theirs?.p99Ms), ...(theirs ? { ratio: lower(ours.p99Ms, theirs.p99Ms) } : {}), goal: '≤ 50 ms', met: ours.p99Ms <= 50 });
  }

  async function measureBacklogMemory(db: BenchDatabases): Promise<void> {
    const quarter = Math.round(sizes.memoryBacklogChanges / 4);
    const small = await backlogPeakRss(db, quarter, 'memory-quarter');
    progress(`  ${small.changes.toLocaleString('en-US')} changes: ${small.peakMiB.toFixed(0)} MiB`);
    const what = (changes: number) => {
      const c = backlogComposition(changes);
      return `${c.smallTransactions.toLocaleString('en-US')} small transactions and one of ${c.largeTransactionRows.toLocaleString('en-US')} rows`;
    };
    rows.set('memory: backlog / 4', memoryRow('memory: backlog / 4', small.peakMiB, `peak RSS (VmHWM) of a child \`pgcarve run\` draining a backlog of ${small.changes.toLocaleString('en-US')} changes (${what(quarter)})`));
    const full = await backlogPeakRss(db, sizes.memoryBacklogChanges, 'memory-full');
    progress(`  ${full.changes.toLocaleString('en-US')} changes: ${full.peakMiB.toFixed(0)} MiB`);
    rows.set('memory: backlog', memoryRow('memory: backlog', full.peakMiB, `peak RSS (VmHWM) of a child \`pgcarve run\` draining a backlog of ${full.changes.toLocaleString('en-US')} changes (${what(sizes.memoryBacklogChanges)}); ${(full.peakMiB / small.peakMiB).toFixed(2)}× the peak at a quarter of the size`));
  }

  async function measureApply(target: EmbeddedCluster): Promise<void> {
    const result = await measureApplyStrategies(target, sizes.applyBatchRows, sizes.applyRepetitions);
    const best = Math.max(result.unnest.median, result.values.median, result.copy.median);
    const detail = (what: string): string => `${what}: upsert of ${sizes.applyBatchRows.toLocaleString('en-US')} activity_logs-shaped rows (half existing keys) in one transaction, ${sizes.applyRepetitions} repetitions; ratio = vs the fastest`;
    const row = (name: BenchRowName, stats: typeof result.unnest, what: string): BenchRow => ({ name, unit: 'rows/s', detail: detail(what), pgcarve: stats, ratio: stats.median / best, ...(name === 'apply strategy: unnest arrays' ? { goal: 'BatchApplier < 256 rows' } : name === 'apply strategy: COPY + INSERT SELECT' ? { goal: 'BatchApplier ≥ 256 rows' } : {}) });
    rows.set('apply strategy: unnest arrays', row('apply strategy: unnest arrays', result.unnest, 'INSERT ... SELECT FROM unnest($1::text[], ...) ON CONFLICT (BatchApplier for groups under 256 rows)'));
    rows.set('apply strategy: multi-row VALUES', row('apply strategy: multi-row VALUES', result.values, 'INSERT ... VALUES ($1::bigint, ...), ... ON CONFLICT'));
    rows.set('apply strategy: COPY + INSERT SELECT', row('apply strategy: COPY + INSERT SELECT', result.copy, 'COPY into a temporary staging table, then INSERT ... SELECT ... ON CONFLICT (BatchApplier for groups of 256 rows and more)'));
    progress(`  unnest ${rate(result.unnest.median)}, VALUES ${rate(result.values.median)}, COPY ${rate(result.copy.median)}`);
  }

  function comparison(name: BenchRowName, detail: string, ours: readonly number[], altName: string | undefined, theirs: readonly number[], goal: string, met: (ratio: number | undefined) => boolean): BenchRow {
    const pgcarve = summarize(ours);
    const missing = altName === undefined ? nativeProblem : tools.kind === 'missing' && theirs.length === 0 ? tools.reason : undefined;
    const alternative = theirs.length > 0 ? summarize(theirs) : undefined;
    const ratio = alternative ? pgcarve.median / alternative.median : undefined;
    return { name, unit: 'rows/s', detail, pgcarve, alternative: { name: altName ?? name, ...(alternative ? { stats: alternative } : {}), ...(missing ? { missing } : {}) }, ...(ratio === undefined ? {} : { ratio }), goal, met: met(ratio) };
  }

  function memoryRow(name: BenchRowName, peakMiB: number, detail: string): BenchRow {
    return { name, unit: 'MiB', detail, pgcarve: summarize([peakMiB]), goal: '≤ 300 MiB', met: peakMiB <= 300 };
  }
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : `${(value / 1000).toFixed(2)} s`;
}

function rate(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value).toLocaleString('en-US')} rows/s`;
}
