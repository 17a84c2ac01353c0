import { readBackfillStates } from '../state/backfill-state.js';
import type { Config } from '../config/config.js';
import { classify } from '../errors/classify.js';
import { describeFenceResult, emitFence, waitForFence } from '../fence.js';
import { formatLsn, type Lsn } from '../lsn.js';
import { withService } from '../pg/with-service.js';
import type { RoutingTable } from '../router/routing-table.js';
import type { InverseMapping } from '../../mappings/inverse-mapping.js';
import type { ServiceName } from '../../mappings/services.js';
import { describeDriftReport, driftRows, type ServiceDrift } from '../verify/drift-report.js';
import { verifyDrift } from '../verify/drift-verifier.js';
import { pause } from '../pause.js';
import { prepareReverse } from '../reverse/prepare-reverse.js';
import { readSeal } from '../state/cutover-marker.js';
import { describeChanges, describeScan, LegacyChangeScan, type ChangeScan, type TableChanges } from './legacy-change-scan.js';
import { legacyTablesOf } from './legacy-tables.js';
import { liveRepairs } from '../state/repair-liveness.js';
import { sealService, type SealOutcome } from './seal-transaction.js';
import { stepLines } from './step-lines.js';
import { advanceSequences, type SequenceAdvance } from './target-sequences.js';

export interface CutoverOptions {
  readonly config: Config;
  readonly routing: RoutingTable;
  /** The inverse mappings: the reverse stream the cutover prepares carries the service's tables back. */
  readonly inverses: readonly InverseMapping[];
  readonly service: ServiceName;
  /** How long to wait for the service to apply the fence (and for the drift check to catch up). */
  readonly timeoutSeconds: number;
  /** How long to watch the legacy tables' changes before deciding they are frozen. */
  readonly windowSeconds: number;
  /** The operator vouches the legacy tables are no longer written: skip the freeze scans. */
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
  /** The changes the freeze scans found (none when the service was frozen). */
  readonly writesSeen: readonly TableChanges[];
  /** What each freeze scan checked: LSN range, tables, transactions decoded, changes. */
  readonly freezeScans: readonly ChangeScan[];
  /** The fence the service applied before the drift check. */
  readonly fenceLsn: string | null;
  /** The seal: no legacy change committed after it is applied to the service (router/seals.ts). */
  readonly sealLsn: string | null;
  readonly drift: ServiceDrift | null;
  readonly sequences: readonly SequenceAdvance[];
}

const STEPS: readonly CutoverStepName[] = ['frozen', 'sync', 'verify', 'sequences', 'still-frozen', 'record'];

/** How long the seal waits for the SHARE locks on the legacy tables. */
const SEAL_LOCK_TIMEOUT_MS = 10_000;

/**
 * The cutover runbook of one service, one step after the other, stopping at the first that fails:
 * 1. frozen: a fence F1, the window, a fence F2; the legacy WAL between them is decoded (a
 *    temporary slot of cutover's own: legacy-change-scan.ts) and holds no change (TRUNCATE
 *    included) to the service's legacy tables;
 * 2. sync: the service applies F2;
 * 3. verify: no table of the service is being (or was left half) re-copied, and a drift check of
 *    the service finds nothing (and could check everything);
 * 4. sequences: every sequence of the service database set past the largest key;
 * 5. still-frozen: with the legacy tables locked IN SHARE MODE, the WAL from F2 up to now holds no
 *    change to them;
 * 6. record: in that same locked transaction the seal message, and pgcarve.cutover in the service
 *    database (seal-transaction.ts); then the service applies the seal.
 * Setting sequences forward is harmless when cutover is abandoned later: the sidecar writes
 * explicit keys and never uses them.
 */
export async function runCutover(options: CutoverOptions): Promise<CutoverReport> {
  const { config, routing, service } = options;
  const startedAt = new Date().toISOString();
  const legacyTables = legacyTablesOf(routing, service);
  const steps: CutoverStep[] = [];
  const scans: ChangeScan[] = [];
  let fence: Lsn | undefined;
  let fenceLsn: string | null = null;
  let sealLsn: string | null = null;
  let drift: ServiceDrift | null = null;
  let sequences: readonly SequenceAdvance[] = [];
  let scan: LegacyChangeScan | undefined;
  // Cut over already (cutover run again): nothing to check, and the seal stays where it is.
  const already = await withService(config, service, { doing: `reading the cutover seal of ${service}`, application: APPLICATION }, (client) => readSeal(client, config.slot)).catch(() => undefined);

  const run = async (step: CutoverStepName, body: () => Promise<{ readonly ok: boolean; readonly detail: string; readonly skipped?: boolean }>): Promise<boolean> => {
    if (already) {
      sealLsn = formatLsn(already.fenceLsn);
      const record = step === 'record';
      steps.push({ step, status: record ? 'ok' : 'skipped', detail: record ? `${service} was already cut over at ${already.at}, sealed at ${sealLsn}; nothing to do` : `already cut over at ${already.at}` });
      return record;
    }
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
      if (options.assumeFrozen) return { ok: true, skipped: true, detail: '--assume-frozen: the operator vouches that the legacy tables are no longer written' };
      scan = await LegacyChangeScan.open(config.legacyUrl, config.publication, legacyTables);
      const first = await emitFence(config.legacyUrl);
      await pause(options.windowSeconds * 1000, options.signal);
      fence = await emitFence(config.legacyUrl);
      const found = await scan.changesBetween(first, fence);
      scans.push(found);
      if (found.changes.length > 0) {
        return { ok: false, detail: `the legacy tables of ${service} are still being written: in the last ${options.windowSeconds} s ${describeChanges(found.changes)} (${describeScan(found)}); stop the writes (the application's writes to these tables, or its deployment), then run cutover again` };
      }
      return { ok: true, detail: `no change to ${legacyTables.join(', ')} in ${options.windowSeconds} s: ${describeScan(found)}` };
    });
    await run('sync', async () => {
      fence ??= await emitFence(config.legacyUrl);
      fenceLsn = formatLsn(fence);
      const result = await waitForFence(config.serviceUrls, config.slot, fence, options.timeoutSeconds * 1000, { services: [service], ...(options.signal ? { signal: options.signal } : {}) });
      return { ok: result.reached, detail: result.reached ? `${service} has applied everything up to the fence at ${fenceLsn}` : `${describeFenceResult(result)} after ${options.timeoutSeconds} s; is the sidecar running (pgcarve status)?` };
    });
    await run('verify', async () => {
      const unfinished = await withService(config, service, { doing: `reading the backfill state of ${service}`, application: APPLICATION }, async (client) => {
        const states = await readBackfillStates(client, config.slot).catch(() => []);
        const live = await liveRepairs(client, config.slot, states.map((s) => s.table));
        return states.filter((s) => s.kind !== 'copied' && legacyTables.includes(s.table)).map((s) => ({ table: s.table, state: s.kind === 'repairing' && !live.has(s.table) ? 'repair interrupted' : s.kind }));
      });
      if (unfinished.length > 0) {
        const commands = unfinished.map((u) => `pgcarve backfill --service ${service} --table ${u.table}`).join('; ');
        return { ok: false, detail: `not verified: ${unfinished.map((u) => `${u.table} (${u.state})`).join(', ')} in ${service} is not fully copied; finish it (${commands}), then run cutover again` };
      }
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
      if (drift?.outcome.kind !== 'verified' || rows > 0 || drift.skippedTables.length > 0) {
        return { ok: false, detail: `drift check of ${service} did not pass:\n${describeDriftReport(report)}\nrepair it (pgcarve backfill --service ${service}) and run cutover again` };
      }
      return { ok: true, detail: `no drift in ${drift.tables.length} tables (${drift.tables.reduce((sum, t) => sum + t.checkedRows, 0)} rows compared)` };
    });
    await run('sequences', async () => {
      sequences = await withService(config, service, { doing: `advancing the sequences of ${service}`, application: APPLICATION }, (client) => advanceSequences(client, routing.tablesByService.get(service) ?? []));
      await prepareReverse(config, options.inverses, service); // the reverse slot, before the seal lets the service write
      const moved = sequences.filter((s) => s.advanced);
      return { ok: true, detail: `${sequences.length} sequence(s), ${moved.length} set past the largest key: ${sequences.map((s) => `${s.table}.${s.column} next ${s.nextValue}`).join(', ') || 'none'}` };
    });
    // The last freeze check and the seal are one locked legacy transaction (seal-transaction.ts).
    let sealed: SealOutcome | undefined;
    await run('still-frozen', async () => {
      let checked = '--assume-frozen: not scanned; the seal is taken with the legacy tables locked';
      sealed = await sealService({
        legacyUrl: config.legacyUrl,
        serviceUrl: config.serviceUrls[service],
        slot: config.slot,
        service,
        tables: legacyTables,
        lockTimeoutMs: SEAL_LOCK_TIMEOUT_MS,
        check: async (lockedAt) => {
          if (!scan || fence === undefined) return undefined;
          const late = await scan.changesBetween(fence, lockedAt);
          scans.push(late);
          checked = `no change to the legacy tables since the first check, with them locked: ${describeScan(late)}`;
          if (late.changes.length === 0) return undefined;
          return `writes reached the legacy tables of ${service} during cutover: ${describeChanges(late.changes)} (${describeScan(late)}); stop them and run cutover again`;
        },
      });
      if (sealed.kind === 'refused') return { ok: false, detail: sealed.reason };
      return { ok: true, skipped: !scan, detail: checked };
    });
    await run('record', async () => {
      if (sealed?.kind !== 'sealed') return { ok: false, detail: 'not sealed' };
      sealLsn = formatLsn(sealed.sealLsn);
      const applied = await waitForFence(config.serviceUrls, config.slot, sealed.sealLsn, options.timeoutSeconds * 1000, { services: [service], ...(options.signal ? { signal: options.signal } : {}) });
      const done = `sealed at ${sealLsn}, recorded in pgcarve.cutover of ${service}: no legacy change committed after it is ever applied to ${service} (pgcarve_legacy_writes_after_cutover_total counts them)`;
      return { ok: true, detail: applied.reached ? `${done}; the sidecar has passed the seal` : `${done}; the sidecar has not reached the seal yet (it holds from it whenever it does)` };
    });
  } finally {
    await scan?.close();
  }
  for (const step of STEPS) if (!steps.some((s) => s.step === step)) steps.push({ step, status: 'not-run', detail: 'not reached' });
  return {
    service,
    ok: steps.every((s) => s.status === 'ok' || s.status === 'skipped'),
    startedAt,
    finishedAt: new Date().toISOString(),
    legacyTables,
    steps,
    writesSeen: mergeChanges(scans.flatMap((s) => s.changes)),
    freezeScans: scans,
    fenceLsn,
    sealLsn,
    drift,
    sequences,
  };
}

function mergeChanges(changes: readonly TableChanges[]): readonly TableChanges[] {
  const byTable = new Map<string, TableChanges>();
  for (const c of changes) {
    const had = byTable.get(c.table);
    byTable.set(c.table, had ? { table: c.table, inserts: had.inserts + c.inserts, updates: had.updates + c.updates, deletes: had.deletes + c.deletes, truncates: had.truncates + c.truncates } : c);
  }
  return [...byTable.values()].sort((a, b) => a.table.localeCompare(b.table));
}

const APPLICATION = 'pgcarve-cutover';

/** The report for a person: one line per step. */
export function describeCutover(report: CutoverReport): string {
  const lines = [`cutover of ${report.service} (legacy tables: ${report.legacyTables.join(', ')})`, ...stepLines(report.steps)];
  lines.push(report.ok ? `${report.service} is cut over: point its reads and writes at its own database.` : `${report.service} is NOT cut over; keep it on the legacy database.`);
  return lines.join('\n');
}
