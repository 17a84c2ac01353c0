import type { ErrorKind } from '../errors/pgcarve-error.js';
import type { ServiceName } from '../../mappings/services.js';

export type DriftKind = 'missing' | 'extra' | 'different';
export const DRIFT_KINDS: readonly DriftKind[] = ['missing', 'extra', 'different'];

/** One drifted row, named by its keys (the operator needs them to find the row), never its values. */
export interface DriftSample {
  readonly kind: DriftKind;
  /** The target row's key, as `id=42`. */
  readonly key: string;
  /** The key of the legacy row it derives from (for a reference row: the first one that needs it). */
  readonly legacyKey: string;
  /** For `different`: the target columns whose values differ. */
  readonly columns: readonly string[];
}

/** What one pass found in one target table. */
export interface TableDrift {
  readonly service: ServiceName;
  /** The target table. */
  readonly table: string;
  /** The legacy table whose mapping writes it. */
  readonly source: string;
  /** `reference` rows are checked for presence only. */
  readonly targetKind: 'owned' | 'reference';
  /** Whether rows the legacy database does not produce (extra) are looked for. */
  readonly extraChecked: boolean;
  readonly checkedRows: number;
  readonly missing: number;
  readonly extra: number;
  readonly different: number;
  /**
   * Rows that still differed but changed in the legacy database during every re-check: neither
   * confirmed nor cleared (a very hot row). Not drift; the next pass looks again.
   */
  readonly unsettled: number;
  readonly samples: readonly DriftSample[];
}

/**
 * How checking one service ended:
 * - `verified`: every table compared; drift is what `tables` say (possibly none);
 * - `behind`: the service did not apply up to the position a legacy chunk was read at in time
 *   (a stopped writer never will), so the remaining rows could not be verified;
 * - `failed`: a database error or a mapping that throws stopped the check;
 * - `skipped`: not checked in this pass (a stopped writer, a table still being backfilled);
 * - `sealed`: cut over (pgcarve.cutover): the service database is the source of truth and the
 *   forward path is sealed, so legacy rows are no longer what it must hold; not compared.
 */
export type ServiceOutcome =
  | { readonly kind: 'verified' }
  | { readonly kind: 'behind'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly errorKind: ErrorKind }
  | { readonly kind: 'skipped'; readonly reason: string }
  | { readonly kind: 'sealed'; readonly reason: string };

export interface ServiceDrift {
  readonly service: ServiceName;
  readonly outcome: ServiceOutcome;
  readonly tables: readonly TableDrift[];
  /**
   * Legacy tables not checked for this service, with why: being copied by the initial backfill,
   * being repaired by a running `pgcarve backfill`, or left by a repair that ended early
   * (`repair-interrupted`: not verified until `pgcarve backfill` finishes it).
   */
  readonly skippedTables: readonly SkippedTable[];
}

export interface SkippedTable {
  readonly table: string;
  readonly state: 'backfilling' | 'repairing' | 'repair-interrupted';
  readonly reason: string;
}

export interface DriftReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Legacy chunks read (first reads, not re-checks). */
  readonly chunks: number;
  /** Chunks whose first comparison differed and were re-checked. */
  readonly rechecks: number;
  readonly services: readonly ServiceDrift[];
}

/** Receives results as a check goes; metrics implement it. */
export interface DriftObserver {
  rowsChecked(service: ServiceName, table: string, rows: number): void;
  /** A target table has been compared in full in one pass. */
  tableChecked(result: TableDrift): void;
  /** A pass over a service ended with `outcome` at `atMs`. */
  serviceChecked(service: ServiceName, outcome: ServiceOutcome, atMs: number): void;
}

export function driftRows(table: Pick<TableDrift, 'missing' | 'extra' | 'different'>): number {
  return table.missing + table.extra + table.different;
}

export function serviceDriftRows(service: ServiceDrift): number {
  return service.tables.reduce((sum, t) => sum + driftRows(t), 0);
}

/** Drift found anywhere. */
export function hasDrift(report: DriftReport): boolean {
  return report.services.some((s) => serviceDriftRows(s) > 0);
}

/** Some service could not be verified in full (behind, failed, or a repair left unfinished). */
export function incomplete(report: DriftReport): boolean {
  return report.services.some((s) => s.outcome.kind === 'behind' || s.outcome.kind === 'failed' || s.skippedTables.some((t) => t.state === 'repair-interrupted'));
}

/** The report for a person: one line per service, one per drifted table, with sample keys. */
export function describeDriftReport(report: DriftReport): string {
  const lines: string[] = [];
  for (const service of report.services) {
    const drifted = service.tables.filter((t) => driftRows(t) > 0);
    const checked = service.tables.reduce((sum, t) => sum + t.checkedRows, 0);
    switch (service.outcome.kind) {
      case 'verified':
        lines.push(drifted.length === 0 ? `${service.service}: no drift (${service.tables.length} tables, ${checked} rows checked)` : `${service.service}: DRIFT in ${drifted.length} table(s) (${checked} rows checked)`);
        break;
      case 'behind':
        lines.push(`${service.service}: could not verify: service behind (${service.outcome.reason})`);
        break;
      case 'failed':
        lines.push(`${service.service}: could not verify: ${service.outcome.reason}`);
        break;
      case 'skipped':
        lines.push(`${service.service}: not checked: ${service.outcome.reason}`);
        break;
      case 'sealed':
        lines.push(`${service.service}: sealed: ${service.outcome.reason}`);
        break;
    }
    if (service.outcome.kind !== 'verified' && drifted.length > 0) lines.push(`  drift found before that:`);
    for (const t of drifted) {
      const samples = t.samples
        .map((s) => `${s.kind} ${s.key}${s.columns.length > 0 ? ` (${s.columns.join(', ')})` : ''}${s.legacyKey !== s.key ? ` [legacy ${t.source} ${s.legacyKey}]` : ''}`)
        .join('; ');
      lines.push(`  ${t.table} (from legacy ${t.source}): ${t.missing} missing, ${t.extra} extra, ${t.different} different${samples ? `; e.g. ${samples}` : ''}`);
    }
    for (const t of service.tables.filter((x) => x.unsettled > 0)) {
      lines.push(`  ${t.table}: ${t.unsettled} row(s) changed in the legacy database during every re-check; not counted (the next check looks again)`);
    }
    for (const skipped of service.skippedTables) lines.push(`  legacy ${skipped.table} not checked: ${skipped.reason}`);
  }
  return lines.join('\n');
}
