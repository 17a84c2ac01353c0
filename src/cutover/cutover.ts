import pg from 'pg';
import type { Config } from '../config/config.js';
import { classify } from '../errors/classify.js';
import { describeFenceResult, emitFence, waitForFence } from '../fence.js';
import { formatLsn } from '../lsn.js';
import type { RoutingTable } from '../router/routing-table.js';
import type { ServiceName } from '../router/service.js';
import { describeDriftReport, driftRows, type ServiceDrift } from '../verify/drift-report.js';
import { verifyDrift } from '../verify/drift-verifier.js';
import { pause } from '../verify/pause.js';
import { prepareReverse } from '../reverse/prepare-reverse.js';
import { markCutOver } from './cutover-marker.js';
import { advanceSequences, type SequenceAdvance } from './target-sequences.js';
import { describeWrites, readWriteCounters, writesBetween, type TableWrites } from './write-activity.js';

export interface CutoverOptions {
  readonly config: Config;
  readonly routing: RoutingTable;
  readonly service: ServiceName;
  /** How long to wait for the service to apply the fence (and for the drift check to catch up). */
  readonly timeoutSeconds: number;
  /** How long to watch the legacy tables' write counters before deciding they are frozen. */
  readonly windowSeconds: number;
  /** The operator vouches the legacy tables are no longer written: skip watching the counters. */
  readonly assumeFrozen: boolean;
  readonly chunkSize?: number;
  readonly signal?: AbortSignal;
}

export type CutoverStepName = 'frozen' | 'sync' | 'verify' | 'sequences' | 'still-frozen' | 'record';

/**
 * One runbook step: `ok`, `failed` (`refused`: a condition does not hold; `error`: something could
 * not be done), `skipped` (by an option) or `not-run` (an earlier step failed).
 */
export interface CutoverStep {
  readonly step: CutoverStepName;
  readonly status: 'ok' | 'refused' | 'error' | 'skipped' | 'not-run';
  readonly detail: string;
}

export interface CutoverReport {
  readonly service: ServiceName;
  readonly ok: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The legacy tables whose mappings write this service. */
  readonly legacyTables: readonly string[];
  readonly steps: readonly CutoverStep[];
  readonly writesSeen: readonly TableWrites[];
  readonly fenceLsn: string | null;
  readonly drift: ServiceDrift | null;
  readonly sequences: readonly SequenceAdvance[];
}

const STEPS: readonly CutoverStepName[] = ['frozen', 'sync', 'verify', 'sequences', 'still-frozen', 'record'];

/**
 * The cutover runbook of one service, one step after the other, stopping at the first that fails:
 * 1. frozen: the service's legacy tables take no writes (counters watched for a window);
 * 2. sync: a fence in the legacy WAL, and the service applies it;
 * 3. verify: a drift check of the service finds nothing (and could check everything);
 * 4. sequences: every sequence of the service database set past the largest key;
 * 5. still-frozen: no write reached the legacy tables while all that ran;
 * 6. record: pgcarve.cutover in the service database says it is cut over (drift checks skip it).
 * Setting sequences forward is harmless when cutover is abandoned later: the sidecar writes
 * explicit keys and never uses them.
 */
export async function runCutover(options: CutoverOptions): Promise<CutoverReport> {
  const { config, routing, service } = options;
  const startedAt = new Date().toISOString();
  const legacyTables = [...routing.bySource.values()].filter((r) => r.services.includes(service)).map((r) => r.mapping.source).sort();
  const steps: CutoverStep[] = [];
  let writesSeen: readonly TableWrites[] = [];
  let fenceLsn: string | null = null;
  let drift: ServiceDrift | null = null;
  let sequences: readonly SequenceAdvance[] = [];
  let counters: Awaited<ReturnType<typeof readWriteCounters>> | undefined;

  const legacy = new pg.Client({ connectionString: config.legacyUrl, connectionTimeoutMillis: 10_000, application_name: 'pgcarve-cutover' });
  legacy.on('error', () => undefined);
  const run = async (step: CutoverStepName, body: () => Promise<{ readonly ok: boolean; readonly detail: string; readonly skipped?: boolean }>): Promise<boolean> => {
    if (steps.some((s) => s.status === 'refused' || s.status === 'error')) {
      steps.push({ step, status: 'not-run', detail: 'an earlier step failed' });
      return false;
    }
    try {
      const outcome = await body();
      steps.push({ step, status: outcome.skipped ? 'skipped' : outcome.ok ? 'ok' : 'refused', detail: outcome.detail });
      return outcome.ok;
    } catch (error) {
      steps.push({ step, status: 'error', detail: classify(error, step).message });
      return false;
    }
  };

  try {
    await run('frozen', async () => {
      await legacy.connect();
      if (options.assumeFrozen) return { ok: true, skipped: true, detail: '--assume-frozen: the operator vouches that the legacy tables are no longer written' };
      const before = await readWriteCounters(legacy, legacyTables);
      await pause(options.windowSeconds * 1000, options.signal);
      counters = await readWriteCounters(legacy, legacyTables);
      writesSeen = writesBetween(before, counters);
      if (writesSeen.length > 0) {
        return { ok: false, detail: `the legacy tables of ${service} are still being written: in the last ${options.windowSeconds} s ${describeWrites(writesSeen)}; stop the writes (the application's writes to these tables, or its deployment), then run cutover again` };
      }
      return { ok: true, detail: `no writes to ${legacyTables.join(', ')} in ${options.windowSeconds} s` };
    });
    await run('sync', async () => {
      const fence = await emitFence(config.legacyUrl);
      fenceLsn = formatLsn(fence);
      const result = await waitForFence(config.serviceUrls, config.slot, fence, options.timeoutSeconds * 1000, { services: [service], ...(options.signal ? { signal: options.signal } : {}) });
      return { ok: result.reached, detail: result.reached ? `${service} has applied everything up to the fence at ${fenceLsn}` : `${describeFenceResult(result)} after ${options.timeoutSeconds} s; is the sidecar running (pgcarve status)?` };
    });
    await run('verify', async () => {
      const report = await verifyDrift({
        legacyUrl: config.legacyUrl,
        serviceUrls: config.serviceUrls,
        slot: config.slot,
        routing,
        services: [service],
        includeCutOver: true,
        waitTimeoutMs: options.timeoutSeconds * 1000,
        ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      drift = report.services[0] ?? null;
      const rows = drift ? drift.tables.reduce((sum, t) => sum + driftRows(t), 0) : 0;
      if (drift?.outcome.kind !== 'verified' || rows > 0) {
        return { ok: false, detail: `drift check of ${service} did not pass:\n${describeDriftReport(report)}\nrepair it (pgcarve backfill --service ${service}) and run cutover again` };
      }
      return { ok: true, detail: `no drift in ${drift.tables.length} tables (${drift.tables.reduce((sum, t) => sum + t.checkedRows, 0)} rows compared)` };
    });
    await run('sequences', async () => {
      sequences = await withService(config, service, (client) => advanceSequences(client, routing.tablesByService.get(service) ?? []));
      const moved = sequences.filter((s) => s.advanced);
      return { ok: true, detail: `${sequences.length} sequence(s), ${moved.length} set past the largest key: ${sequences.map((s) => `${s.table}.${s.column} next ${s.nextValue}`).join(', ') || 'none'}` };
    });
    await run('still-frozen', async () => {
      if (!counters) return { ok: true, skipped: true, detail: '--assume-frozen: not watched' };
      const after = await readWriteCounters(legacy, legacyTables);
      const late = writesBetween(counters, after);
      writesSeen = [...writesSeen, ...late];
      if (late.length > 0) return { ok: false, detail: `writes reached the legacy tables of ${service} during cutover: ${describeWrites(late)}; stop them and run cutover again` };
      return { ok: true, detail: 'no writes to the legacy tables during cutover' };
    });
    await run('record', async () => {
      await prepareReverse(config, service);
      await withService(config, service, (client) => markCutOver(client, config.slot, fenceLsn));
      return { ok: true, detail: `pgcarve.cutover in ${service} records the cutover: drift checks leave ${service} alone from now on` };
    });
  } finally {
    await legacy.end().catch(() => undefined);
  }
  for (const step of STEPS) if (!steps.some((s) => s.step === step)) steps.push({ step, status: 'not-run', detail: 'not reached' });
  return {
    service,
    ok: steps.every((s) => s.status === 'ok' || s.status === 'skipped'),
    startedAt,
    finishedAt: new Date().toISOString(),
    legacyTables,
    steps,
    writesSeen,
    fenceLsn,
    drift,
    sequences,
  };
}

async function withService<T>(config: Config, service: ServiceName, f: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: config.serviceUrls[service], connectionTimeoutMillis: 10_000, application_name: 'pgcarve-cutover' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await f(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The report for a person: one line per step. */
export function describeCutover(report: CutoverReport): string {
  const mark = { ok: 'ok     ', refused: 'REFUSED', error: 'ERROR  ', skipped: 'skipped', 'not-run': 'not run' } as const;
  const lines = [`cutover of ${report.service} (legacy tables: ${report.legacyTables.join(', ')})`];
  for (const s of report.steps) lines.push(`  ${mark[s.status]}  ${s.step.padEnd(12)} ${s.detail.split('\n').join('\n                        ')}`);
  lines.push(report.ok ? `${report.service} is cut over: point its reads and writes at its own database.` : `${report.service} is NOT cut over; keep it on the legacy database.`);
  return lines.join('\n');
}
