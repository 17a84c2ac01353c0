import type { Config } from '../config/config.js';
import { stepLines } from '../cutover/step-lines.js';
import { advanceSequences, type SequenceAdvance } from '../cutover/target-sequences.js';
import { classify } from '../errors/classify.js';
import { LEGACY_TARGET } from '../pg/legacy-target.js';
import { withClient } from '../pg/with-client.js';
import { withService } from '../pg/with-service.js';
import { formatLsn, type Lsn } from '../lsn.js';
import { removeReverse } from '../reverse/prepare-reverse.js';
import { readReverseCheckpoint } from '../state/reverse-checkpoint.js';
import { emitReverseFence, waitForReverseFence } from '../reverse/reverse-fence.js';
import { reverseNames } from '../reverse/reverse-names.js';
import { liftSeal } from '../cutover/seal-transaction.js';
import { readDirection, type ServiceDirection } from '../reverse/service-direction.js';
import type { RoutingTable } from '../router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import { describeDriftReport, driftRows, type ServiceDrift } from '../verify/drift-report.js';
import { verifyDrift } from '../verify/drift-verifier.js';
import { pause } from '../pause.js';

export interface RollbackOptions {
  readonly config: Config;
  readonly routing: RoutingTable;
  readonly service: ServiceName;
  /** How long to wait for the reverse stream to apply a fence (and for the drift check). */
  readonly timeoutSeconds: number;
  /** How long between the two fences that show the service no longer writes. */
  readonly windowSeconds: number;
  readonly chunkSize?: number;
  readonly signal?: AbortSignal;
}

export type RollbackStepName = 'cut-over' | 'stopped' | 'drained' | 'verify' | 'sequences' | 'still-stopped' | 'unseal' | 'remove';

/** One runbook step, with the statuses of a cutover step (see CutoverStep). */
export interface RollbackStep {
  readonly step: RollbackStepName;
  readonly status: 'ok' | 'refused' | 'error' | 'skipped' | 'not-run';
  readonly detail: string;
}

export interface RollbackReport {
  readonly service: ServiceName;
  readonly ok: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** The legacy tables the service's rows go back to (and forward from again). */
  readonly legacyTables: readonly string[];
  readonly steps: readonly RollbackStep[];
  /** The fences written into the service database's WAL: the two of `stopped`, the one of `still-stopped`. */
  readonly fences: readonly string[];
  readonly drift: ServiceDrift | null;
  /** The legacy sequences, set past the largest keys the service wrote. */
  readonly sequences: readonly SequenceAdvance[];
}

const STEPS: readonly RollbackStepName[] = ['cut-over', 'stopped', 'drained', 'verify', 'sequences', 'still-stopped', 'unseal', 'remove'];

type Outcome = { readonly ok: boolean; readonly detail: string; readonly skipped?: boolean };

/**
 * The rollback runbook of one cut-over service (the migration strategy's "revert to the legacy
 * database"), one step after the other, stopping at the first that fails:
 * 1. cut-over: the service is cut over (a rollback already unsealed only finishes `remove`);
 * 2. stopped: the service no longer writes, checked exactly: two fences in its WAL, `--window`
 *    apart, both applied by the reverse stream, and no transaction with a row change between
 *    them (pgcarve.reverse_checkpoint.last_change_lsn, written by the reverse stream);
 * 3. drained: the legacy database has everything the service committed before the second fence;
 * 4. verify: the forward drift check of the service is clean (legacy rows mapped forward equal
 *    the service's rows), so the forward path can take over where the service left off;
 * 5. sequences: every legacy sequence of its tables is set past the largest key, so the legacy
 *    application's inserts do not collide with rows the service created;
 * 6. still-stopped: a third fence, applied, and still no change since the first;
 * 7. unseal: the seal is lifted (cutover/seal-transaction.ts: a lift message the sidecar applies,
 *    then pgcarve.cutover.rolled_back_at): the forward path applies legacy changes committed after
 *    the lift to the service database again, and drift checks include it;
 * 8. remove: the reverse slot and publication are dropped (the sidecar stops the stream first).
 * Every step is safe to repeat; run it again after fixing what a step reported.
 */
export async function runRollback(options: RollbackOptions): Promise<RollbackReport> {
  const { config, routing, service } = options;
  const startedAt = new Date().toISOString();
  const legacyTables = [...routing.bySource.values()].filter((r) => r.services.includes(service)).map((r) => r.mapping.source).sort();
  const names = reverseNames(config.slot, service);
  const steps: RollbackStep[] = [];
  const fences: Lsn[] = [];
  let drift: ServiceDrift | null = null;
  let sequences: readonly SequenceAdvance[] = [];
  let direction: ServiceDirection = { kind: 'forward' };
  let slotExists = false;
  const timeoutMs = options.timeoutSeconds * 1000;

  const run = async (step: RollbackStepName, body: () => Promise<Outcome>): Promise<void> => {
    if (steps.some((s) => s.status === 'refused' || s.status === 'error')) {
      steps.push({ step, status: 'not-run', detail: 'an earlier step failed' });
      return;
    }
    try {
      const outcome = await body();
      steps.push({ step, status: outcome.skipped ? 'skipped' : outcome.ok ? 'ok' : 'refused', detail: outcome.detail });
    } catch (error) {
      steps.push({ step, status: 'error', detail: classify(error, step).message });
    }
  };
  const unsealed = (): boolean => direction.kind === 'rolled-back';
  const already = (what: string): Outcome => ({ ok: true, skipped: true, detail: `${service} was already unsealed by an earlier rollback: ${what}` });
  /** A fence in the service's WAL, waited for in the legacy reverse checkpoint. */
  const fence = async (): Promise<{ readonly lsn: Lsn; readonly reached: boolean; readonly lastChange: Lsn }> => {
    const lsn = await emitReverseFence(config.serviceUrls[service], service);
    fences.push(lsn);
    const waited = await waitForReverseFence(config.legacyUrl, names.slot, lsn, timeoutMs, options.signal);
    return { lsn, reached: waited.reached, lastChange: waited.checkpoint.lastChangeLsn };
  };
  const notApplied = (lsn: Lsn): Outcome => ({
    ok: false,
    detail: `the reverse stream of ${service} did not apply the fence at ${formatLsn(lsn)} within ${options.timeoutSeconds} s: is pgcarve run running, and its reverse stream streaming (pgcarve status)?`,
  });

  await run('cut-over', async () => {
    await withService(config, service, { doing: `reading the direction of ${service}`, application: APPLICATION }, async (client) => {
      direction = await readDirection(client, config.slot);
      slotExists = ((await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [names.slot])).rowCount ?? 0) > 0;
    });
    if (direction.kind === 'forward') return { ok: false, detail: `${service} is not cut over (no pgcarve.cutover row for slot ${config.slot}): there is nothing to roll back` };
    if (direction.kind === 'rolled-back') return { ok: true, detail: `${service} was unsealed at ${direction.rolledBackAt}; finishing what remains` };
    if (!slotExists) return { ok: false, detail: `${service} is cut over but its reverse slot ${names.slot} does not exist, so its writes since the cutover cannot be carried back: copy them to legacy by hand, or run pgcarve cutover --service ${service} again first` };
    return { ok: true, detail: `${service} was cut over at ${direction.cutOverAt}; its reverse slot is ${names.slot}` };
  });
  await run('stopped', async () => {
    if (unsealed()) return already('its writes were checked then');
    const first = await fence();
    if (!first.reached) return notApplied(first.lsn);
    await pause(options.windowSeconds * 1000, options.signal);
    const second = await fence();
    if (!second.reached) return notApplied(second.lsn);
    if (second.lastChange >= first.lsn) {
      return { ok: false, detail: `${service} is still writing: its database committed row changes between the fences at ${formatLsn(first.lsn)} and ${formatLsn(second.lsn)} (${options.windowSeconds} s); stop the service's writes, then run rollback again` };
    }
    return { ok: true, detail: `no row change in ${service} between the fences at ${formatLsn(first.lsn)} and ${formatLsn(second.lsn)} (${options.windowSeconds} s)` };
  });
  await run('drained', async () => {
    if (unsealed()) return already('its writes were applied then');
    const last = fences.at(-1) as Lsn;
    const checkpoint = await withClient(config.legacyUrl, { doing: 'reading the reverse checkpoint in the legacy database', target: LEGACY_TARGET, application: APPLICATION }, (client) => readReverseCheckpoint(client, names.slot));
    if (checkpoint.lsn < last) return notApplied(last);
    return { ok: true, detail: `the legacy tables hold everything ${service} committed before ${formatLsn(last)} (reverse checkpoint ${formatLsn(checkpoint.lsn)})` };
  });
  await run('verify', async () => {
    if (unsealed()) return already('it was verified then');
    const report = await verifyDrift({
      legacyUrl: config.legacyUrl,
      serviceUrls: config.serviceUrls,
      slot: config.slot,
      routing,
      services: [service],
      includeCutOver: true,
      waitTimeoutMs: timeoutMs,
      ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    drift = report.services[0] ?? null;
    const rows = drift ? drift.tables.reduce((sum, t) => sum + driftRows(t), 0) : 0;
    if (drift?.outcome.kind !== 'verified' || rows > 0) {
      return { ok: false, detail: `the forward drift check of ${service} did not pass (the legacy rows mapped forward differ from ${service}'s):\n${describeDriftReport(report)}\nfix the rows (pgcarve verify --service ${service} shows the keys) and run rollback again; the service stays cut over` };
    }
    return { ok: true, detail: `legacy rows mapped forward equal ${service}'s rows: no drift in ${drift.tables.length} tables (${drift.tables.reduce((sum, t) => sum + t.checkedRows, 0)} rows compared)` };
  });
  await run('sequences', async () => {
    sequences = await withClient(config.legacyUrl, { doing: 'advancing the legacy sequences', target: LEGACY_TARGET, application: APPLICATION }, (client) => advanceSequences(client, legacyTables));
    const moved = sequences.filter((s) => s.advanced);
    return { ok: true, detail: `${sequences.length} legacy sequence(s), ${moved.length} set past the largest key: ${sequences.map((s) => `${s.table}.${s.column} next ${s.nextValue}`).join(', ') || 'none'}` };
  });
  await run('still-stopped', async () => {
    if (unsealed()) return already('its writes were checked then');
    const last = await fence();
    if (!last.reached) return notApplied(last.lsn);
    const first = fences[0] as Lsn;
    if (last.lastChange >= first) return { ok: false, detail: `${service} wrote again during the rollback (a row change after ${formatLsn(first)}): stop its writes, then run rollback again` };
    return { ok: true, detail: `still no row change in ${service} since ${formatLsn(first)} (fence at ${formatLsn(last.lsn)} applied)` };
  });
  await run('unseal', async () => {
    if (unsealed()) return already('the seal is lifted');
    const lifted = await liftSeal({ legacyUrl: config.legacyUrl, serviceUrls: config.serviceUrls, slot: config.slot, service, timeoutMs, ...(options.signal ? { signal: options.signal } : {}) });
    if (lifted.kind === 'not-applied') return { ok: false, detail: `the seal lift at ${formatLsn(lifted.liftLsn)} was not applied: ${lifted.reason}` };
    return { ok: true, detail: `seal lifted at ${formatLsn(lifted.liftLsn)} and pgcarve.cutover.rolled_back_at set: the forward path applies legacy changes to ${service} again and drift checks include it` };
  });
  await run('remove', async () => {
    await removeReverse(config, service);
    return { ok: true, detail: `reverse slot and publication ${names.slot} dropped from ${service}` };
  });
  for (const step of STEPS) if (!steps.some((s) => s.step === step)) steps.push({ step, status: 'not-run', detail: 'not reached' });
  return {
    service,
    ok: steps.every((s) => s.status === 'ok' || s.status === 'skipped'),
    startedAt,
    finishedAt: new Date().toISOString(),
    legacyTables,
    steps,
    fences: fences.map(formatLsn),
    drift,
    sequences,
  };
}

const APPLICATION = 'pgcarve-rollback';

/** The report for a person: one line per step. */
export function describeRollback(report: RollbackReport): string {
  const lines = [`rollback of ${report.service} (legacy tables: ${report.legacyTables.join(', ')})`, ...stepLines(report.steps)];
  lines.push(report.ok ? `${report.service} is rolled back: point its reads and writes at the legacy database again; pgcarve keeps its database following legacy.` : `${report.service} is NOT rolled back; it stays cut over (keep it writing to its own database, or stop it and run rollback again).`);
  return lines.join('\n');
}
