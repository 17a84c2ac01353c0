import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { emitFence } from '../fence.js';
import { formatLsn } from '../lsn.js';
import { withClient, currentWalLsn, findClientTools, startBenchCluster, BENCH_PG_MAJOR } from './bench-cluster.js';
import { createBenchDatabases, freshTargets, type BenchDatabases } from './bench-databases.js';
import { BENCH_ROWS, type BenchReport, type BenchRow, type BenchRowName } from './bench-report.js';
import { writeBacklog } from './backlog.js';
import { installApplyClock, measureLatency, writeProbes, type LatencyResult } from './commit-latency.js';
import { createDecodeSlots, dropDecodeSlots, timePgcarveDecode, timeRecvlogical } from './decode-ceiling.js';
import { timeDumpRestore } from './dump-restore.js';
import { fenceAndWait, startSidecar, timeBackfill, timeDrain } from './in-process-sidecar.js';
import { backfillPeakRss, largeTransactionPeakRss } from './memory-peak.js';
import { NativeReplication } from './native-replication.js';
import { measureApplyStrategies } from './apply-strategies.js';
import { summarize } from './sample-stats.js';

/** How big each measurement is. `quick` is a smoke run of about a minute. */
export interface BenchSizes {
  readonly scale: number;
  readonly backlogChanges: number;
  readonly catchUpRepetitions: number;
  readonly backfillRepetitions: number;
  readonly latencyChangesPerSecond: number;
  readonly latencySeconds: number;
  readonly largeTransactionRows: number;
  readonly applyBatchRows: number;
  readonly applyRepetitions: number;
}

export const QUICK_SIZES: BenchSizes = {
  scale: 2,
  backlogChanges: 10_000,
  catchUpRepetitions: 3,
  backfillRepetitions: 2,
  latencyChangesPerSecond: 3_000,
  latencySeconds: 5,
  largeTransactionRows: 200_000,
  applyBatchRows: 2_000,
  applyRepetitions: 3,
};

export const FULL_SIZES: BenchSizes = {
  scale: 30,
  backlogChanges: 100_000,
  catchUpRepetitions: 5,
  backfillRepetitions: 3,
  latencyChangesPerSecond: 3_000,
  latencySeconds: 20,
  largeTransactionRows: 1_000_000,
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
    let native: NativeReplication | undefined;
    await section('native logical replication set-up', async () => {
      native = await NativeReplication.create(db);
    }, (e) => {
      nativeProblem = `set-up failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
      progress(`  ${nativeProblem}`);
    });
    await section('catch-up and decode', () => measureCatchUp(db, native), (e) => fail(['catch-up apply', 'decode ceiling'], 'rows/s', e));
    await section('steady-state latency', () => measureLatencies(db, native), (e) => fail(['latency p50', 'latency p99'], 'ms', e));
    await section('memory during a large transaction', () => measureTransactionMemory(db), (e) => fail(['memory: large transaction', 'memory: large transaction / 4'], 'MiB', e));
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

  async function measureCatchUp(db: BenchDatabases, native: NativeReplication | undefined): Promise<void> {
    const config = db.config();
    const apply = { pgcarve: [] as number[], native: [] as number[] };
    const decode = { pgcarve: [] as number[], recvlogical: [] as number[] };
    let changes = 0;
    for (let rep = 0; rep < sizes.catchUpRepetitions; rep += 1) {
      await createDecodeSlots(db.legacyUrl);
      const backlog = await writeBacklog(db.legacyUrl, sizes.backlogChanges, `backlog-${rep}`);
      changes = backlog.changes;
      const fence = await emitFence(db.legacyUrl);
      const perSecond = rowsPerSecond(backlog.changes);
      apply.pgcarve.push(perSecond(await timeDrain(config, fence, 600_000)));
      if (native) {
        const begin = performance.now();
        await native.setEnabled(true);
        const drained = await native.waitConfirmed(formatLsn(fence), 600_000);
        const elapsed = performance.now() - begin;
        await native.setEnabled(false);
        if (!drained) throw new Error('native logical replication did not drain the backlog within 600 s');
        apply.native.push(perSecond(elapsed));
      }
      const decoded = await timePgcarveDecode(db.legacyUrl, config.publication, fence);
      decode.pgcarve.push(perSecond(decoded.ms));
      if (tools.kind === 'found') decode.recvlogical.push(perSecond(await timeRecvlogical(tools.pgRecvlogical, db.legacyUrl, config.publication, fence)));
      await dropDecodeSlots(db.legacyUrl);
      progress(`  repetition ${rep + 1}: ${backlog.changes.toLocaleString('en-US')} changes in ${backlog.transactions.toLocaleString('en-US')} transactions; apply pgcarve ${rate(apply.pgcarve.at(-1))}, native ${rate(apply.native.at(-1))}; decode pgcarve ${rate(decode.pgcarve.at(-1))} (${decoded.changes.toLocaleString('en-US')} changes seen), pg_recvlogical ${rate(decode.recvlogical.at(-1))}`);
    }
    const what = `a backlog of ${changes.toLocaleString('en-US')} row changes (inserts, updates, deletes; ${Math.round(sizes.backlogChanges * 0.4 / 7).toLocaleString('en-US')} small transactions and 3 bulk ones) on the 1:1 tables, written while the consumer was stopped; ${sizes.catchUpRepetitions} repetitions`;
    rows.set('catch-up apply', comparison('catch-up apply', `${what}; pgcarve: start to fence applied in all 5 databases; native: one subscription per service database (row filter on activity_logs), ENABLE to every slot's confirmed_flush_lsn past the fence`, apply.pgcarve, native ? 'native logical replication' : undefined, apply.native, '≥ 1.2×', ratioGoal(1.2)));
    rows.set('decode ceiling', comparison('decode ceiling', `${what}; read from a fresh slot, no writes: pgcarve ReplicationStream + PgoutputDecoder vs pg_recvlogical -o proto_version=1 -f /dev/null --endpos`, decode.pgcarve, 'pg_recvlogical', decode.recvlogical, '≥ 0.9×', ratioGoal(0.9)));
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
    rows.set('latency p99', { name: 'latency p99', unit: 'ms', detail, pgcarve: summarize([ours.p99Ms]), alternative: alternative(theirs?.p99Ms), ...(theirs ? { ratio: lower(ours.p99Ms, theirs.p99Ms) } : {}), goal: '≤ 100 ms', met: ours.p99Ms <= 100 });
  }

  async function measureTransactionMemory(db: BenchDatabases): Promise<void> {
    const quarter = Math.round(sizes.largeTransactionRows / 4);
    const small = await largeTransactionPeakRss(db, quarter);
    progress(`  ${quarter.toLocaleString('en-US')} rows: ${small.toFixed(0)} MiB`);
    rows.set('memory: large transaction / 4', memoryRow('memory: large transaction / 4', small, `peak RSS (VmHWM) of a child \`pgcarve run\` applying one legacy transaction of ${quarter.toLocaleString('en-US')} inserted activity_logs rows`));
    const large = await largeTransactionPeakRss(db, sizes.largeTransactionRows);
    progress(`  ${sizes.largeTransactionRows.toLocaleString('en-US')} rows: ${large.toFixed(0)} MiB`);
    rows.set('memory: large transaction', memoryRow('memory: large transaction', large, `peak RSS (VmHWM) of a child \`pgcarve run\` applying one legacy transaction of ${sizes.largeTransactionRows.toLocaleString('en-US')} inserted activity_logs rows (${(large / small).toFixed(2)}× the peak at a quarter of the size)`));
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
