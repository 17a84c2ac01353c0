import type pg from 'pg';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { RoutedTable } from '../router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import { legacyColumns } from './legacy-session.js';

/** Part of a legacy table by key: `from` inclusive, `to` exclusive, as key text; open ends undefined. */
export interface KeyRange {
  readonly from: string | undefined;
  readonly to: string | undefined;
}

/** How one legacy table is copied. */
export interface TablePlan {
  readonly table: string;
  readonly routed: RoutedTable;
  /** The services this copy writes (the table's services, or the unfinished ones). */
  readonly services: readonly ServiceName[];
  readonly columns: readonly string[];
  readonly key: readonly { readonly name: string; readonly type: string }[];
  readonly rowsEstimated: number;
  /** Disjoint and covering the whole table; several only for a large table with a one-column key. */
  readonly ranges: readonly KeyRange[];
}

export interface PlanOptions {
  /** A table estimated above this many rows is split into key ranges copied in parallel. */
  readonly rangeRows: number;
  /** At most this many ranges per table. */
  readonly maxRanges: number;
}

/**
 * Plans the copy of `routed`'s legacy table, reading through `client` (in the snapshot's
 * transaction, so a count is exact for that snapshot). Estimate: pg_class.reltuples, or count(*)
 * when the table was never analysed. Ranges come from the key column's histogram in pg_stats (any
 * ordered type), so no scan is needed to split; without statistics the table is one range.
 */
export async function planTable(client: pg.ClientBase, routed: RoutedTable, services: readonly ServiceName[], options: PlanOptions): Promise<TablePlan> {
  const table = routed.mapping.source;
  const columns = await legacyColumns(client, table);
  if (columns.length === 0) throw new PgcarveError('table_missing', `legacy table public.${table} does not exist, but a mapping reads it: check DATABASE_URL_LEGACY points at the monolith`);
  const key = routed.mapping.sourceKey.map((name) => {
    const column = columns.find((c) => c.name === name);
    if (!column) throw new PgcarveError('column_missing', `legacy table public.${table} has no key column ${name}, which its mapping declares: fix the mapping's sourceKey`);
    return column;
  });
  const qualified = `public.${client.escapeIdentifier(table)}`;
  const stats = await client.query<{ reltuples: string }>('SELECT reltuples::text AS reltuples FROM pg_class WHERE oid = to_regclass($1)', [qualified]);
  let rowsEstimated = Number(stats.rows[0]?.reltuples ?? -1);
  if (!(rowsEstimated >= 0)) {
    const count = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified}`);
    rowsEstimated = Number(count.rows[0]?.n ?? 0);
  }
  let ranges: KeyRange[] = [{ from: undefined, to: undefined }];
  const [single] = key;
  if (single && key.length === 1 && rowsEstimated > options.rangeRows) {
    const parts = Math.min(options.maxRanges, Math.ceil(rowsEstimated / options.rangeRows));
    const histogram = await client.query<{ bounds: string[] | string | null }>(
      `SELECT histogram_bounds::text::text[] AS bounds FROM pg_stats WHERE schemaname = 'public' AND tablename = $1 AND attname = $2`,
      [table, single.name],
    );
    const bounds = asTextArray(histogram.rows[0]?.bounds ?? null);
    if (bounds.length > 2 && parts > 1) {
      const cuts = [...new Set(Array.from({ length: parts - 1 }, (_, i) => bounds[Math.round(((i + 1) * (bounds.length - 1)) / parts)] as string))];
      ranges = cuts.map((cut, i) => ({ from: i === 0 ? undefined : cuts[i - 1], to: cut }));
      ranges.push({ from: cuts[cuts.length - 1], to: undefined });
    }
  }
  return { table, routed, services, columns: columns.map((c) => c.name), key, rowsEstimated, ranges };
}

/** A text[] as the client returned it: parsed (default parsers) or its literal (text parsers). */
function asTextArray(value: string[] | string | null): readonly string[] {
  if (value === null) return [];
  if (Array.isArray(value)) return value;
  return parseTextArrayLiteral(value);
}

/** Parses a one-dimensional PostgreSQL array literal of non-null elements. */
export function parseTextArrayLiteral(literal: string): string[] {
  const out: string[] = [];
  const body = literal.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    let item = '';
    if (body[i] === '"') {
      i += 1;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i += 1;
        item += body[i] ?? '';
        i += 1;
      }
      i += 1; // closing quote
    } else {
      while (i < body.length && body[i] !== ',') item += body[i++];
    }
    out.push(item);
    i += 1; // comma
  }
  return out;
}
