import { getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { SourceValue, TextValue } from '../values.js';
import type { InverseMapping, ServiceRow } from '../../mappings/inverse-mapping.js';

type Values = Readonly<Record<string, TextValue>>;

/**
 * One statement on a legacy table, derived from one service row change by its inverse mapping
 * (values are text, keys are the legacy key columns; `undefined` values are already left out):
 * - `upsert`: insert the legacy row, or update the columns given (a `row` table's put);
 * - `set`: update columns of the legacy row (a `part` table's put: `mustExist`; its clear: not);
 * - `delete`: delete the legacy row while it has the `guard` values;
 * - `delete-all` / `set-all`: a TRUNCATE of the service table.
 */
export type LegacyWrite =
  | { readonly kind: 'upsert'; readonly table: string; readonly key: Values; readonly values: Values }
  | { readonly kind: 'set'; readonly table: string; readonly key: Values; readonly values: Values; readonly mustExist: boolean }
  | { readonly kind: 'delete'; readonly table: string; readonly key: Values; readonly guard: Values }
  | { readonly kind: 'delete-all'; readonly table: string; readonly guard: Values }
  | { readonly kind: 'set-all'; readonly table: string; readonly values: Values };

/** The service row exists with these values (insert, or update without a key change). */
export function putWrite(inv: InverseMapping, row: ServiceRow<PgTable>, reference: ServiceRow<PgTable> | undefined): LegacyWrite {
  const key = legacyKey(inv, row);
  const values = defined(inv.values(row, reference));
  if (inv.shape.kind === 'row') return { kind: 'upsert', table: inv.legacy, key, values: { ...values, ...key } };
  return { kind: 'set', table: inv.legacy, key, values: withoutKey(values, key), mustExist: true };
}

/** The service row with this key is gone (delete, or the old key of a key change). */
export function removeWrite(inv: InverseMapping, row: Readonly<Record<string, SourceValue>>): LegacyWrite {
  const key = legacyKey(inv, row);
  if (inv.shape.kind === 'row') return { kind: 'delete', table: inv.legacy, key, guard: defined(inv.shape.guard ?? {}) };
  return { kind: 'set', table: inv.legacy, key, values: defined(inv.shape.clear), mustExist: false };
}

/** Every row of the service table is gone (TRUNCATE). */
export function truncateWrite(inv: InverseMapping): LegacyWrite {
  if (inv.shape.kind === 'row') return { kind: 'delete-all', table: inv.legacy, guard: defined(inv.shape.guard ?? {}) };
  return { kind: 'set-all', table: inv.legacy, values: defined(inv.shape.clear) };
}

/** Whether a key change: the old key differs from the new one. */
export function keyChanged(inv: InverseMapping, old: Readonly<Record<string, SourceValue>>, fresh: Readonly<Record<string, SourceValue>>): boolean {
  return Object.values(inv.key).some((column) => column !== undefined && old[column] !== fresh[column]);
}

function legacyKey(inv: InverseMapping, row: Readonly<Record<string, SourceValue>>): Values {
  const key: Record<string, TextValue> = {};
  for (const [legacyColumn, column] of Object.entries(inv.key)) {
    if (column === undefined) continue;
    const value = row[column];
    if (value === undefined || value === null) throw new PgcarveError('internal', `a change of ${inv.service}.${getTableName(inv.table)} has no value for its key column ${column}`);
    key[legacyColumn] = value;
  }
  return key;
}

function defined(values: Readonly<Record<string, SourceValue>>): Values {
  const out: Record<string, TextValue> = {};
  for (const [column, value] of Object.entries(values)) if (value !== undefined) out[column] = value;
  return out;
}

function withoutKey(values: Values, key: Values): Values {
  return Object.fromEntries(Object.entries(values).filter(([column]) => !(column in key)));
}
