import { emitFence, waitForFence } from '../fence.js';
import { formatLsn } from '../lsn.js';
import type { ServiceName } from '../router/service.js';
import { describeDriftReport, serviceDriftRows, type DriftReport } from '../verify/drift-report.js';
import { advanceSequences } from './advance-sequences.js';

export interface RehearsalStep {
  readonly name: 'stop writes' | 'wait-sync' | 'verify' | 'sequences';
  readonly ok: boolean;
  /** What happened, for a person: table names, LSNs, counts; never row values. */
  readonly detail: string;
  readonly ms: number;
}

export interface RehearsalReport {
  readonly service: ServiceName;
  readonly ok: boolean;
  readonly steps: readonly RehearsalStep[];
}

export interface RehearsalDeps {
  readonly service: ServiceName;
  /** The legacy tables whose rows the service's database receives. */
  readonly legacyTables: readonly string[];
  readonly legacyUrl: string;
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
  readonly slot: string;
  /** Stops the application's writes to `tables`; resolves when none is in flight any more. */
  readonly stopWrites: (tables: readonly string[]) => Promise<void>;
  readonly verify: (services: readonly ServiceName[]) => Promise<DriftReport>;
  readonly syncTimeoutMs: number;
  /** Each step as it ends. */
  readonly onStep?: (step: RehearsalStep) => void;
}

/**
 * The cutover of one service, rehearsed on the live system (design.md, "Lag, fences and cutover"):
 * 1. stop the writes to the service's legacy tables (the rest of the application keeps writing);
 * 2. wait-sync: a fence in the legacy WAL, then wait until the service's checkpoint passes it, so
 *    every write made before the stop is in the service database;
 * 3. verify: compare the service's tables with the mapped legacy rows: zero drift required;
 * 4. sequences: set every target sequence past the largest key, so the service can insert on its own.
 * A step that fails ends the rehearsal; the report says which and why.
 */
export async function rehearseCutover(deps: RehearsalDeps): Promise<RehearsalReport> {
  const steps: RehearsalStep[] = [];
  const run = async (name: RehearsalStep['name'], body: () => Promise<{ ok: boolean; detail: string }>): Promise<boolean> => {
    const started = Date.now();
    let result: { ok: boolean; detail: string };
    try {
      result = await body();
    } catch (error) {
      result = { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    const step = { name, ...result, ms: Date.now() - started };
    steps.push(step);
    deps.onStep?.(step);
    return step.ok;
  };
  const { service } = deps;

  const done =
    (await run('stop writes', async () => {
      await deps.stopWrites(deps.legacyTables);
      return { ok: true, detail: `no more application writes to legacy ${deps.legacyTables.join(', ')} (the other tables still take writes)` };
    })) &&
    (await run('wait-sync', async () => {
      const fence = await emitFence(deps.legacyUrl);
      const result = await waitForFence(deps.serviceUrls, deps.slot, fence, deps.syncTimeoutMs, { services: [service] });
      const own = result.services.find((s) => s.service === service);
      return result.reached
        ? { ok: true, detail: `fence ${formatLsn(fence)} applied by ${service}: everything committed before the stop is there (lag 0 B)` }
        : { ok: false, detail: `${service} did not apply fence ${formatLsn(fence)} within ${deps.syncTimeoutMs / 1000} s (${own?.behindBytes ?? '?'} bytes behind${own?.error ? `; ${own.error}` : ''})` };
    })) &&
    (await run('verify', async () => {
      const report = await deps.verify([service]);
      const own = report.services.find((s) => s.service === service);
      const unsettled = own?.tables.reduce((sum, t) => sum + t.unsettled, 0) ?? 0;
      const ok = own !== undefined && own.outcome.kind === 'verified' && serviceDriftRows(own) === 0 && unsettled === 0;
      return { ok, detail: describeDriftReport({ ...report, services: own ? [own] : [] }) || `${service} was not checked` };
    })) &&
    (await run('sequences', async () => {
      const advanced = await advanceSequences(deps.serviceUrls[service]);
      return { ok: true, detail: advanced.length === 0 ? 'no sequences' : advanced.map((a) => `${a.table}.${a.column} next ${a.next}`).join(', ') };
    }));
  return { service, ok: done, steps };
}

/** The report as printed at the end of the demo. */
export function describeRehearsal(report: RehearsalReport): string[] {
  const lines = [`cutover rehearsal for ${report.service}:`];
  for (const step of report.steps) {
    const [first = '', ...rest] = step.detail.split('\n');
    lines.push(`  ${step.ok ? '✓' : '✗'} ${step.name.padEnd(11)} ${first} (${(step.ms / 1000).toFixed(1)} s)`);
    for (const line of rest) lines.push(`                ${line}`);
  }
  lines.push(report.ok
    ? `  cutover rehearsal succeeded: ${report.service} can now be switched to its own database`
    : `  cutover rehearsal FAILED at "${report.steps[report.steps.length - 1]?.name ?? '?'}"`);
  return lines;
}
