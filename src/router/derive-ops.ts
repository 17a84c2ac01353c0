import { PgcarveError } from '../errors/pgcarve-error.js';
import type { SourceOp, TargetOp } from '../targets/target-op.js';
import { keyString, type SourceKey, type SourceRow, type SourceValue, type TextValue } from '../values.js';
import type { RoutedTable, RoutingTable } from './routing-table.js';
import type { ServiceName } from '../../mappings/services.js';

/** Where derived ops go, per service. */
export type OpSink = (service: ServiceName, op: TargetOp) => void;

function describeKey(key: SourceKey): string {
  return Object.entries(key)
    .map(([c, v]) => `${c}=${v ?? 'NULL'}`)
    .join(', ');
}

/**
 * Runs the mapping; a mapping that throws becomes an operator error naming the legacy table and
 * the key (the operator needs the key to find the row), never a skipped change.
 */
function runMapping(routed: RoutedTable, row: SourceRow, key: SourceKey): ReturnType<RoutedTable['mapping']['map']> {
  try {
    return routed.mapping.map(row);
  } catch (error) {
    if (error instanceof PgcarveError) {
      throw new PgcarveError(error.kind, `legacy table ${routed.mapping.source} (${describeKey(key)}): ${error.message}`, { cause: error });
    }
    throw new PgcarveError('mapping_threw', `the mapping of legacy table ${routed.mapping.source} threw for the row with ${describeKey(key)}: ${error instanceof Error ? error.message : String(error)}; fix the mapping or the row, then restart pgcarve`, { cause: error });
  }
}

export function sourceKeyOf(routed: RoutedTable, row: SourceRow): SourceKey {
  const key: Record<string, TextValue> = {};
  for (const column of routed.mapping.sourceKey) {
    const value = row[column];
    // NULL is no key either: a delete or update by it would silently match nothing.
    if (value === undefined || value === null) {
      throw new PgcarveError('no_replica_identity', `legacy table ${routed.mapping.source}: key column ${column} was ${value === null ? 'NULL' : 'not sent'}; give the table a primary key on (${routed.mapping.sourceKey.join(', ')}) or set REPLICA IDENTITY FULL`);
    }
    key[column] = value;
  }
  return key;
}

function hasUndefined(row: Readonly<Record<string, SourceValue>>): boolean {
  for (const value of Object.values(row)) if (value === undefined) return true;
  return false;
}

/**
 * The target ops that make the targets reflect `row` (an insert, or the new side of an update),
 * and, for an update, delete the owned rows the old key had that the new output lacks (a document
 * that became a template, a log row that left the filter, a changed key). `oldKey` is undefined
 * for inserts and backfill.
 */
export function deriveUpsert(routing: RoutingTable, routed: RoutedTable, row: SourceRow, oldKey: SourceKey | undefined, op: SourceOp, sink: OpSink): void {
  const newKey = sourceKeyOf(routed, row);
  const output = runMapping(routed, row, newKey);
  // Which owned rows the new output has: needed only to find those an update no longer produces.
  const produced = oldKey === undefined ? undefined : new Set<string>();
  for (const { target, row: targetRow } of output) {
    const resolved = routing.resolve(target);
    if (resolved.kind === 'reference') {
      if (hasUndefined(targetRow)) {
        throw new PgcarveError('needs_replica_identity_full', `legacy table ${routed.mapping.source} (${describeKey(newKey)}): reference row for ${resolved.service}.${resolved.table} needs values that were not sent (unchanged TOAST); set REPLICA IDENTITY FULL on ${routed.mapping.source}`);
      }
      sink(resolved.service, { kind: 'ensure', table: resolved.table, source: routed.mapping.source, row: targetRow, op });
    } else {
      produced?.add(`${resolved.service}.${resolved.table}:${keyString(targetRow, resolved.key)}`);
      sink(resolved.service, { kind: 'upsert', table: resolved.table, source: routed.mapping.source, row: targetRow, op });
    }
  }
  if (oldKey === undefined || produced === undefined) return;
  for (const target of routed.targets) {
    if (target.kind !== 'owned' || !target.fromSourceKey) continue;
    const key = target.fromSourceKey(oldKey);
    const id = `${target.service}.${target.table}:${keyString(key, target.key)}`;
    if (!produced.has(id)) sink(target.service, { kind: 'delete', table: target.table, source: routed.mapping.source, key, op });
  }
}

/** Deletes every owned row that derives from `oldKey`. Reference rows stay. */
export function deriveDelete(routed: RoutedTable, oldKey: SourceKey, sink: OpSink): void {
  for (const target of routed.targets) {
    if (target.kind !== 'owned' || !target.fromSourceKey) continue;
    sink(target.service, { kind: 'delete', table: target.table, source: routed.mapping.source, key: target.fromSourceKey(oldKey), op: 'delete' });
  }
}

/** Empties every owned target table of the legacy table. Reference rows stay. */
export function deriveTruncate(routed: RoutedTable, sink: OpSink): void {
  for (const target of routed.targets) {
    if (target.kind === 'owned') sink(target.service, { kind: 'truncate', table: target.table, source: routed.mapping.source, op: 'truncate' });
  }
}
