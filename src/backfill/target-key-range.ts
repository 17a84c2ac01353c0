import type pg from 'pg';
import type { TextValue } from '../values.js';
import type { ResolvedTarget } from '../router/routing-table.js';
import type { TableShape } from '../targets/table-shape.js';

/**
 * For an owned target whose key is the legacy key under other names (id → id, id → user_id,
 * id → document_id), the target column of each legacy key column, in legacy key order. Then a range
 * of legacy keys is the same range of target keys, and the target rows of a legacy key range can be
 * listed. Found by probing `fromSourceKey` with a distinct marker per legacy key column; any other
 * derivation (computed keys) gives undefined.
 */
export function renamedKey(target: ResolvedTarget, sourceKey: readonly string[]): readonly string[] | undefined {
  if (target.kind !== 'owned' || !target.fromSourceKey || target.key.length !== sourceKey.length) return undefined;
  const markers = sourceKey.map((_, i) => `\u0001pgcarve-key-${i}`);
  const derived = target.fromSourceKey(Object.fromEntries(sourceKey.map((c, i) => [c, markers[i] as string])));
  const columns = markers.map((marker) => target.key.find((column) => derived[column] === marker));
  if (columns.some((c) => c === undefined) || new Set(columns).size !== target.key.length) return undefined;
  return columns as string[];
}

/** A range of legacy keys (exclusive lower bound, inclusive upper bound; undefined = open). */
export interface ChunkRange {
  readonly after: readonly TextValue[] | undefined;
  readonly upTo: readonly TextValue[] | undefined;
}

/**
 * The keys (as text, in the target's key column order) of the target rows in `range`, at most
 * `limit` of them, in key order. `columns` are the target columns of the legacy key (renamedKey).
 */
export async function targetKeysInRange(
  client: pg.ClientBase,
  shape: TableShape,
  columns: readonly string[],
  range: ChunkRange,
  limit: number,
): Promise<readonly (readonly TextValue[])[]> {
  const id = (c: string): string => client.escapeIdentifier(c);
  const tuple = `(${columns.map(id).join(', ')})`;
  const values: unknown[] = [];
  const bound = (key: readonly TextValue[]): string =>
    `(${key
      .map((v, i) => {
        values.push(v);
        return `$${values.length}::${shape.types.get(columns[i] as string) ?? 'text'}`;
      })
      .join(', ')})`;
  const where: string[] = [];
  if (range.after) where.push(`${tuple} > ${bound(range.after)}`);
  if (range.upTo) where.push(`${tuple} <= ${bound(range.upTo)}`);
  values.push(limit);
  const result = await client.query<TextValue[]>({
    text: `SELECT ${shape.key.map((c) => `${id(c)}::text`).join(', ')} FROM public.${id(shape.name)}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${columns.map(id).join(', ')} LIMIT $${values.length}`,
    values,
    rowMode: 'array',
  });
  return result.rows;
}
