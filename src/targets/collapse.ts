import { PgcarveError } from '../errors/pgcarve-error.js';
import { keyString, type SourceValue, type TextValue } from '../values.js';
import type { TargetOp } from './target-op.js';

type Row = Readonly<Record<string, SourceValue>>;

/**
 * The net effect of a run of target ops on one table, keyed by target key, so that a batch can be
 * applied with one statement per table and kind whatever the number of rows. Applying the
 * collapsed form gives the same final state as applying the ops one by one:
 * - the last op on a key decides (a delete after an upsert deletes; an upsert after a delete
 *   re-inserts), except that
 * - a partial upsert (some columns undefined = unchanged TOAST) on top of an earlier upsert of the
 *   same key is merged into it: the earlier values stand for the columns it did not send;
 * - a partial upsert after a delete of the same key throws `needs_replica_identity_full`: the row
 *   came there by a key change or a filter entry, so the values it did not send are another
 *   source row's, and the target row still under that key (the deleted one) must not lend them;
 * - `ensure` (reference rows) keeps the first row for a key: insert-if-missing semantics;
 * - a truncate discards everything before it for the table, and is applied first.
 */
export interface CollapsedTable {
  readonly table: string;
  /** The legacy table whose mapping writes this target table. */
  readonly source: string;
  truncate: boolean;
  readonly deletes: Map<string, Readonly<Record<string, TextValue>>>;
  /** Rows with every column defined. */
  readonly upserts: Map<string, Row>;
  /** Rows with at least one undefined column: update only the defined ones; the row must exist. */
  readonly partials: Map<string, Row>;
  readonly ensures: Map<string, Row>;
}

export type KeyOf = (table: string) => readonly string[];

function isComplete(row: Row): boolean {
  for (const value of Object.values(row)) if (value === undefined) return false;
  return true;
}

function merge(base: Row, update: Row): Row {
  const merged: Record<string, SourceValue> = { ...base };
  for (const [column, value] of Object.entries(update)) if (value !== undefined) merged[column] = value;
  return merged;
}

export function collapse(ops: readonly TargetOp[], keyOf: KeyOf): Map<string, CollapsedTable> {
  const tables = new Map<string, CollapsedTable>();
  const tableFor = (name: string, source: string): CollapsedTable => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = { table: name, source, truncate: false, deletes: new Map(), upserts: new Map(), partials: new Map(), ensures: new Map() }));
    return t;
  };
  for (const op of ops) {
    const t = tableFor(op.table, op.source);
    switch (op.kind) {
      case 'truncate':
        t.truncate = true;
        t.deletes.clear();
        t.upserts.clear();
        t.partials.clear();
        t.ensures.clear();
        break;
      case 'delete': {
        const k = keyString(op.key, keyOf(op.table));
        t.upserts.delete(k);
        t.partials.delete(k);
        t.deletes.set(k, op.key);
        break;
      }
      case 'ensure': {
        const k = keyString(op.row, keyOf(op.table));
        if (!t.ensures.has(k)) t.ensures.set(k, op.row);
        break;
      }
      case 'upsert': {
        const k = keyString(op.row, keyOf(op.table));
        if (isComplete(op.row)) {
          t.partials.delete(k);
          t.deletes.delete(k);
          t.upserts.set(k, op.row);
        } else {
          const full = t.upserts.get(k);
          const partial = t.partials.get(k);
          if (full) t.upserts.set(k, merge(full, op.row));
          else if (partial) t.partials.set(k, merge(partial, op.row));
          else if (t.deletes.has(k)) throw movedOntoDeletedKey(op, keyOf(op.table));
          else t.partials.set(k, op.row);
        }
        break;
      }
    }
  }
  return tables;
}

function movedOntoDeletedKey(op: Extract<TargetOp, { kind: 'upsert' }>, key: readonly string[]): PgcarveError {
  const unsent = Object.keys(op.row).filter((c) => op.row[c] === undefined);
  const at = key.map((c) => `${c}=${op.row[c] ?? 'NULL'}`).join(', ');
  return new PgcarveError(
    'needs_replica_identity_full',
    `legacy table ${op.source}: a row arrives for target table ${op.table} at (${at}), a key deleted earlier in the same batch (a key change or a row re-entering the mapping's filter), without column(s) ${unsent.join(', ')} (unchanged TOASTed values the legacy database did not send); set REPLICA IDENTITY FULL on the legacy table ${op.source} so pgoutput sends the old values, then restart pgcarve`,
  );
}
