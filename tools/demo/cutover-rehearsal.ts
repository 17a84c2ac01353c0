import type { Config } from '../../src/config/config.js';
import { describeCutover, runCutover, type CutoverReport } from '../../src/cutover/cutover.js';
import { formatLsn } from '../../src/lsn.js';
import { emitReverseFence, waitForReverseFence } from '../../src/reverse/reverse-fence.js';
import { reverseNames } from '../../src/reverse/reverse-names.js';
import { describeRollback, runRollback, type RollbackReport } from '../../src/rollback/rollback.js';
import type { InverseMapping } from '../../mappings/inverse-mapping.js';
import type { RoutingTable } from '../../src/router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import { runServiceWorkload } from './service-workload.js';

/** What the service wrote to its own database while cut over, and how far legacy followed. */
export interface ServiceWritesReport {
  readonly transactions: number;
  readonly fenceLsn: string;
  /** The legacy tables had applied everything the service committed before the fence. */
  readonly followed: boolean;
}

export interface RehearsalReport {
  readonly service: ServiceName;
  readonly ok: boolean;
  /** The legacy tables whose application writes were stopped. */
  readonly stoppedTables: readonly string[];
  readonly stopMs: number;
  /** What `pgcarve cutover` found, step by step. */
  readonly cutover: CutoverReport;
  readonly serviceWrites: ServiceWritesReport | null;
  /** What `pgcarve rollback` found, step by step (null when the cutover failed). */
  readonly rollback: RollbackReport | null;
}

export interface RehearsalDeps {
  readonly config: Config;
  readonly routing: RoutingTable;
  readonly inverses: readonly InverseMapping[];
  readonly service: ServiceName;
  /**
   * Stops the application's writes to `tables`; resolves when none is in flight any more (the
   * cutover's frozen check decodes the legacy WAL and would see a late one).
   */
  readonly stopWrites: (tables: readonly string[]) => Promise<void>;
  /** Lets the application write every legacy table again (after the rollback). */
  readonly resumeWrites: () => Promise<void>;
  /** How long the cutover waits for the fence and the drift check. */
  readonly timeoutSeconds: number;
  /** How long the cutover watches the legacy tables' changes (the frozen check's window). */
  readonly windowSeconds: number;
  /** How long the service writes to its own database while cut over. */
  readonly serviceWriteSeconds: number;
  readonly signal?: AbortSignal;
}

/**
 * The cutover of one service and its rollback, rehearsed on the live system: the application
 * stops writing the service's legacy tables (the rest of it keeps writing), the cutover runbook
 * of `pgcarve cutover` runs unchanged; then the service writes to its own database and the
 * reverse stream carries that into the legacy tables; then `pgcarve rollback` runs unchanged
 * (its forward drift check proves nothing the service wrote is missing from legacy) and the
 * application writes every legacy table again.
 */
export async function rehearseCutover(deps: RehearsalDeps): Promise<RehearsalReport> {
  const tables = [...deps.routing.bySource.values()].filter((r) => r.services.includes(deps.service)).map((r) => r.mapping.source).sort();
  const started = Date.now();
  await deps.stopWrites(tables);
  const stopMs = Date.now() - started;
  const signal = deps.signal ? { signal: deps.signal } : {};
  const cutover = await runCutover({ config: deps.config, routing: deps.routing, inverses: deps.inverses, service: deps.service, timeoutSeconds: deps.timeoutSeconds, windowSeconds: deps.windowSeconds, assumeFrozen: false, ...signal });
  if (!cutover.ok) return { service: deps.service, ok: false, stoppedTables: tables, stopMs, cutover, serviceWrites: null, rollback: null };
  const url = deps.config.serviceUrls[deps.service];
  const transactions = await runServiceWorkload(url, deps.service, deps.serviceWriteSeconds, 100, deps.signal);
  const fence = await emitReverseFence(url, deps.service);
  const followed = await waitForReverseFence(deps.config.legacyUrl, reverseNames(deps.config.slot, deps.service).slot, fence, deps.timeoutSeconds * 1000, deps.signal);
  const serviceWrites = { transactions, fenceLsn: formatLsn(fence), followed: followed.reached };
  const rollback = await runRollback({ config: deps.config, routing: deps.routing, service: deps.service, timeoutSeconds: deps.timeoutSeconds, windowSeconds: 1, ...signal });
  if (rollback.ok) await deps.resumeWrites();
  return { service: deps.service, ok: followed.reached && rollback.ok, stoppedTables: tables, stopMs, cutover, serviceWrites, rollback };
}

/** The report as printed at the end of the demo. */
export function describeRehearsal(report: RehearsalReport): string[] {
  const failed = (steps: readonly { readonly step: string; readonly status: string }[]): string => steps.find((s) => s.status === 'refused' || s.status === 'error')?.step ?? '?';
  const lines = [
    `cutover rehearsal for ${report.service}:`,
    `  application writes stopped on legacy ${report.stoppedTables.join(', ')} in ${(report.stopMs / 1000).toFixed(1)} s (the other tables still take writes)`,
    ...describeCutover(report.cutover).split('\n').map((line) => `  ${line}`),
  ];
  if (!report.cutover.ok) return [...lines, `cutover rehearsal FAILED at ${failed(report.cutover.steps)}`];
  const writes = report.serviceWrites;
  if (writes) {
    lines.push(
      writes.followed
        ? `  ${report.service} wrote ${writes.transactions} transactions to its own database; the legacy tables followed (reverse replication applied everything up to ${writes.fenceLsn})`
        : `  ${report.service} wrote ${writes.transactions} transactions to its own database; the legacy tables did NOT follow up to ${writes.fenceLsn} in time`,
    );
  }
  if (report.rollback) lines.push(...describeRollback(report.rollback).split('\n').map((line) => `  ${line}`));
  lines.push(
    report.ok
      ? `cutover rehearsal succeeded: ${report.service} was cut over, wrote to its own database, and was rolled back with nothing lost; the legacy workload resumed on all tables`
      : `cutover rehearsal FAILED ${report.rollback && !report.rollback.ok ? `at rollback step ${failed(report.rollback.steps)}` : 'while the legacy tables followed the service'}`,
  );
  return lines;
}
