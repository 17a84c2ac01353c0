import { getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { expect } from 'vitest';
import type { SourceValue, TextValue } from '../../src/values.js';
import type { TableMapping } from '../../mappings/table-mapping.js';
import type { InverseMapping, ServiceRow } from '../../mappings/inverse-mapping.js';
import { INVERSE_MAPPINGS, LEGACY_RULES } from '../../mappings/index.js';
import { textArrayItems } from '../../mappings/inverse-transforms.js';
import { LEGACY_COLUMNS } from '../../mappings/legacy/columns.js';

/**
 * The round trip of the inverse mappings (for the unit tests beside each service's inverse.ts):
 * service rows that come from one legacy row are mapped back into that legacy row, which the
 * forward mapping then maps forward again; the owned rows it produces must be the service rows.
 */

export interface ServiceTableRow {
  readonly table: PgTable;
  readonly row: Readonly<Record<string, TextValue>>;
}

/** The legacy row the service rows merge into (every other legacy column null), and its table. */
export function legacyRowOf(rows: readonly ServiceTableRow[], references: readonly ServiceTableRow[] = []): { readonly table: string; readonly row: Readonly<Record<string, SourceValue>> } {
  const inverses = rows.map((r) => inverseOf(r.table));
  const table = inverses[0]?.legacy ?? '';
  expect(new Set(inverses.map((i) => i.legacy))).toEqual(new Set([table]));
  const row: Record<string, SourceValue> = Object.fromEntries(LEGACY_COLUMNS[table as keyof typeof LEGACY_COLUMNS].map((c) => [c, null]));
  rows.forEach(({ row: serviceRow }, i) => {
    const inv = inverses[i] as InverseMapping;
    const key = inv.reference?.key(serviceRow as ServiceRow<PgTable>);
    const ref = key === undefined ? undefined : references.find((r) => r.table === inv.reference?.table && Object.entries(key).every(([c, v]) => r.row[c] === v));
    if (key !== undefined && ref === undefined) throw new Error(`no reference row for ${getTableName(inv.table)}`);
    for (const [column, value] of Object.entries(inv.values(serviceRow as ServiceRow<PgTable>, ref?.row as ServiceRow<PgTable> | undefined))) {
      if (value !== undefined) row[column] = value;
    }
  });
  return { table, row };
}

/** Asserts forward(inverse(rows)) = rows (owned rows; arrays compared by their elements), and returns the forward reference rows. */
export function expectRoundTrip(rows: readonly ServiceTableRow[], references: readonly ServiceTableRow[] = []): readonly ServiceTableRow[] {
  const legacy = legacyRowOf(rows, references);
  const mapping = LEGACY_RULES.find((r): r is TableMapping => r.kind === 'mapped' && r.source === legacy.table);
  if (!mapping) throw new Error(`no forward mapping of ${legacy.table}`);
  const produced = mapping.map(legacy.row);
  const owned = produced.filter((p) => p.target.kind === 'owned').map((p) => ({ table: getTableName(p.target.table), row: normalise(p.row as Record<string, SourceValue>) }));
  const expected = rows.map((r) => ({ table: getTableName(r.table), row: normalise(r.row) }));
  const order = (a: { table: string }, b: { table: string }): number => a.table.localeCompare(b.table);
  expect([...owned].sort(order)).toEqual([...expected].sort(order));
  return produced.filter((p) => p.target.kind === 'reference').map((p) => ({ table: p.target.table, row: p.row as Record<string, TextValue> }));
}

function inverseOf(table: PgTable): InverseMapping {
  const found = INVERSE_MAPPINGS.find((i) => i.table === table);
  if (!found) throw new Error(`no inverse mapping of ${getTableName(table)}`);
  return found;
}

/** Array literals as their elements, so that `{a,b}` (PostgreSQL) equals `{"a","b"}` (the forward mapping). */
function normalise(row: Readonly<Record<string, SourceValue>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([c, v]) => [c, typeof v === 'string' && v.startsWith('{') && ARRAY_COLUMNS.has(c) ? textArrayItems(v) : v]));
}

const ARRAY_COLUMNS = new Set(['benefits', 'tags', 'required_documents']);

/** Value traps shared by the round-trip tests. */
export const TRAPS = {
  micros: '2024-02-29 23:59:59.999999+00',
  bc: '0044-03-15 12:00:00.25+00 BC',
  infinity: 'infinity',
  bigint: '9007199254740993',
  unicode: 'Zürich "HQ" \\ 東京 🏙️\nsecond line\ttab',
  json: '{"a": [1, 2.50, "ü"], "big": 12345678901234567890}',
} as const;
