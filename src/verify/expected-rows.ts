import { deriveUpsert } from '../router/derive-ops.js';
import type { SourceValue } from '../values.js';
import type { ResolvedTarget, RoutedTable, RoutingTable } from '../router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import type { LegacyRow } from './legacy-rows.js';

/** A target row the legacy database implies, with the legacy key that produces it. */
export interface ExpectedRow {
  readonly row: Readonly<Record<string, SourceValue>>;
  /** keyId of the legacy row that produces it (for a reference row: the first one that does). */
  readonly source: string;
}

/** What one target table should hold for a set of legacy rows, by target key. */
export interface ExpectedTable {
  readonly target: ResolvedTarget;
  readonly rows: ReadonlyMap<string, ExpectedRow>;
}

export function targetId(target: Pick<ResolvedTarget, 'service' | 'table'>): string {
  return `${target.service}.${target.table}`;
}

/**
 * Maps legacy rows through their table's mapping, exactly as streaming and backfill do
 * (deriveUpsert, the same code path), and collects the target rows of the given services.
 * A mapping that throws throws here too (the PgcarveError names the table and the key).
 */
export function expectedRows(routing: RoutingTable, routed: RoutedTable, rows: readonly LegacyRow[], services: ReadonlySet<ServiceName>): ReadonlyMap<string, ExpectedTable> {
  const tables = new Map<string, { target: ResolvedTarget; rows: Map<string, ExpectedRow> }>();
  for (const target of routed.targets) {
    if (services.has(target.service)) tables.set(targetId(target), { target, rows: new Map() });
  }
  for (const legacy of rows) {
    deriveUpsert(routing, routed, legacy.row, undefined, 'insert', (service, op) => {
      if (op.kind !== 'upsert' && op.kind !== 'ensure') return;
      const table = tables.get(`${service}.${op.table}`);
      if (!table) return;
      const key = JSON.stringify(table.target.key.map((c) => op.row[c] ?? null));
      if (op.kind === 'ensure' && table.rows.has(key)) return;
      table.rows.set(key, { row: op.row, source: legacy.id });
    });
  }
  return tables;
}
