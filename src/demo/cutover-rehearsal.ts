import type { Config } from '../config/config.js';
import { describeCutover, runCutover, type CutoverReport } from '../cutover/cutover.js';
import type { RoutingTable } from '../router/routing-table.js';
import type { ServiceName } from '../router/service.js';

export interface RehearsalReport {
  readonly service: ServiceName;
  readonly ok: boolean;
  /** The legacy tables whose application writes were stopped. */
  readonly stoppedTables: readonly string[];
  readonly stopMs: number;
  /** What `pgcarve cutover` found, step by step. */
  readonly cutover: CutoverReport;
}

export interface RehearsalDeps {
  readonly config: Config;
  readonly routing: RoutingTable;
  readonly service: ServiceName;
  /**
   * Stops the application's writes to `tables`; resolves when none is in flight any more (the
   * cutover's frozen check decodes the legacy WAL and would see a late one).
   */
  readonly stopWrites: (tables: readonly string[]) => Promise<void>;
  /** How long the cutover waits for the fence and the drift check. */
  readonly timeoutSeconds: number;
  /** How long the cutover watches the legacy tables' changes (the frozen check's window). */
  readonly windowSeconds: number;
  readonly signal?: AbortSignal;
}

/**
 * The cutover of one service, rehearsed on the live system: the application stops writing the
 * service's legacy tables (the rest of it keeps writing), then the cutover runbook of
 * `pgcarve cutover` runs unchanged (cutover/cutover.ts): frozen, sync, verify, sequences,
 * still-frozen.
 */
export async function rehearseCutover(deps: RehearsalDeps): Promise<RehearsalReport> {
  const tables = [...deps.routing.bySource.values()].filter((r) => r.services.includes(deps.service)).map((r) => r.mapping.source).sort();
  const started = Date.now();
  await deps.stopWrites(tables);
  const stopMs = Date.now() - started;
  const cutover = await runCutover({
    config: deps.config,
    routing: deps.routing,
    service: deps.service,
    timeoutSeconds: deps.timeoutSeconds,
    windowSeconds: deps.windowSeconds,
    assumeFrozen: false,
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  return { service: deps.service, ok: cutover.ok, stoppedTables: tables, stopMs, cutover };
}

/** The report as printed at the end of the demo. */
export function describeRehearsal(report: RehearsalReport): string[] {
  return [
    `cutover rehearsal for ${report.service}:`,
    `  application writes stopped on legacy ${report.stoppedTables.join(', ')} in ${(report.stopMs / 1000).toFixed(1)} s (the other tables still take writes)`,
    ...describeCutover(report.cutover).split('\n').map((line) => `  ${line}`),
    report.ok
      ? `cutover rehearsal succeeded: ${report.service} can be switched to its own database`
      : `cutover rehearsal FAILED at ${report.cutover.steps.find((s) => s.status === 'refused' || s.status === 'error')?.step ?? '?'}`,
  ];
}
