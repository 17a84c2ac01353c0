import type pg from 'pg';
import { PgcarveError } from '../errors/pgcarve-error.js';
import type { Lsn } from '../lsn.js';
import type { TextValue } from '../values.js';
import { readCheckpoint } from '../state/checkpoint.js';
import type { TableShape } from '../targets/table-shape.js';
import type { DriftKind } from './drift-report.js';
import type { ExpectedRow } from './expected-rows.js';

/**
 * Which target rows a comparison covers besides the expected ones:
 * - `range`: every row whose key lies in (after, upTo] (either end open when undefined); only for
 *   owned targets whose key is the legacy key (same values, same types, so the same order): rows
 *   there that no legacy row produces are `extra`;
 * - `keys`: the rows with these target keys, each derived from the legacy key `source`.
 */
export type TargetScope =
  | { readonly kind: 'range'; readonly after: readonly TextValue[] | undefined; readonly upTo: readonly TextValue[] | undefined }
  | { readonly kind: 'keys'; readonly keys: readonly { readonly key: readonly TextValue[]; readonly source: string }[] };

/** A target row that differs from what the legacy database implies, and the legacy key behind it. */
export interface TargetDifference {
  /** keyId of the legacy key the row derives from. */
  readonly source: string;
  /** The target key, as `id=42`. */
  readonly key: string;
  readonly kind: DriftKind;
  readonly columns: readonly string[];
}

/**
 * Runs `compare` in one REPEATABLE READ transaction on the target whose first statement reads the
 * checkpoint: the rows compared are exactly the target's state at that checkpoint, because a
 * writer commits its rows and its checkpoint in the same transaction.
 */
export async function inTargetSnapshot<T>(client: pg.ClientBase, slot: string, compare: () => Promise<T>): Promise<{ readonly checkpoint: Lsn; readonly value: T }> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const checkpoint = await readCheckpoint(client, slot);
    const value = await compare();
    await client.query('COMMIT');
    return { checkpoint, value };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function typeOf(shape: TableShape, service: string, column: string): string {
  const type = shape.types.get(column);
  if (type === undefined) throw new PgcarveError('column_missing', `${service}.public.${shape.name} has no column ${column}, which the mapping writes: run \`pgcarve migrate\``);
  return type;
}

/** Canonical JSON of a key array (PostgreSQL's array_to_json and JSON.stringify differ in spacing). */
function canonical(json: string): string {
  return JSON.stringify(JSON.parse(json) as unknown);
}

interface DifferenceRow {
  readonly source: string;
  readonly key: string;
  readonly kind: DriftKind;
  readonly columns: string[];
}

function describeTargetKey(key: readonly string[], json: string): string {
  const values = JSON.parse(json) as (string | null)[];
  return key.map((c, i) => `${c}=${values[i] ?? 'NULL'}`).join(', ');
}

/**
 * Compares owned rows: the expected rows are sent as text arrays, cast to the target's column
 * types by PostgreSQL, and FULL JOINed with the target rows of the scope on the key. Values are
 * compared as the text of the typed values (exact for every type, json included), never in
 * JavaScript.
 */
export async function compareOwned(
  client: pg.ClientBase,
  service: string,
  shape: TableShape,
  columns: readonly string[],
  expected: readonly ExpectedRow[],
  scope: TargetScope,
): Promise<TargetDifference[]> {
  const id = (c: string): string => client.escapeIdentifier(c);
  const key = shape.key;
  const nonKey = columns.filter((c) => !key.includes(c));
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const expectedSql = `SELECT ${columns.map((c) => `u.${id(c)}::${typeOf(shape, service, c)} AS ${id(c)}`).join(', ')}, u.__source
    FROM unnest(${columns.map((c) => `${param(expected.map((e) => (e.row[c] ?? null) as TextValue))}::text[]`).join(', ')}, ${param(expected.map((e) => e.source))}::text[]) AS u(${columns.map(id).join(', ')}, __source)`;
  const table = `public.${id(shape.name)}`;
  const selected = columns.map((c) => `x.${id(c)}`).join(', ');
  let targetSql: string;
  if (scope.kind === 'range') {
    const keyRow = `(${key.map((c) => `x.${id(c)}`).join(', ')})`;
    const bound = (values: readonly TextValue[]): string => `(${key.map((c, i) => `${param(values[i] ?? null)}::${typeOf(shape, service, c)}`).join(', ')})`;
    const conditions = [...(scope.after ? [`${keyRow} > ${bound(scope.after)}`] : []), ...(scope.upTo ? [`${keyRow} <= ${bound(scope.upTo)}`] : [])];
    targetSql = `SELECT ${selected}, array_to_json(ARRAY[${key.map((c) => `x.${id(c)}::text`).join(', ')}])::text AS __source FROM ${table} AS x${conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''}`;
  } else {
    const keyParams = key.map((_, i) => `${param(scope.keys.map((k) => k.key[i] ?? null))}::text[]`);
    const sourceParam = param(scope.keys.map((k) => k.source));
    targetSql = `SELECT ${selected}, s.__source FROM ${table} AS x JOIN unnest(${keyParams.join(', ')}, ${sourceParam}::text[]) AS s(${key.map(id).join(', ')}, __source)
      ON ${key.map((c) => `x.${id(c)} = s.${id(c)}::${typeOf(shape, service, c)}`).join(' AND ')}`;
  }
  const differs = nonKey.length === 0 ? 'false' : `ROW(${nonKey.map((c) => `e.${id(c)}::text`).join(', ')}) IS DISTINCT FROM ROW(${nonKey.map((c) => `t.${id(c)}::text`).join(', ')})`;
  const sql = `WITH e AS (${expectedSql}), t AS (${targetSql})
    SELECT coalesce(e.__source, t.__source) AS source,
           array_to_json(ARRAY[${key.map((c) => `coalesce(e.${id(c)}, t.${id(c)})::text`).join(', ')}])::text AS key,
           CASE WHEN t.__source IS NULL THEN 'missing' WHEN e.__source IS NULL THEN 'extra' ELSE 'different' END AS kind,
           array_remove(ARRAY[${nonKey.map((c) => `CASE WHEN e.${id(c)}::text IS DISTINCT FROM t.${id(c)}::text THEN ${client.escapeLiteral(c)} END`).join(', ')}]::text[], NULL) AS columns
      FROM e FULL JOIN t ON ${key.map((c) => `e.${id(c)} = t.${id(c)}`).join(' AND ')}
     WHERE e.__source IS NULL OR t.__source IS NULL OR ${differs}`;
  const result = await client.query<DifferenceRow>(sql, params);
  return result.rows.map((r) => ({
    source: r.kind === 'extra' && scope.kind === 'range' ? canonical(r.source) : r.source,
    key: describeTargetKey(key, r.key),
    kind: r.kind,
    columns: r.kind === 'different' ? r.columns : [],
  }));
}

/** Reference rows are checked for presence only: expected keys the target lacks are `missing`. */
export async function compareReference(client: pg.ClientBase, service: string, shape: TableShape, expected: readonly ExpectedRow[]): Promise<TargetDifference[]> {
  if (expected.length === 0) return [];
  const id = (c: string): string => client.escapeIdentifier(c);
  const key = shape.key;
  const sql = `SELECT e.__source AS source, array_to_json(ARRAY[${key.map((c) => `e.${id(c)}`).join(', ')}])::text AS key FROM unnest(${key.map((_, i) => `$${i + 1}::text[]`).join(', ')}, $${key.length + 1}::text[]) AS e(${key.map(id).join(', ')}, __source)
    WHERE NOT EXISTS (SELECT 1 FROM public.${id(shape.name)} AS x WHERE ${key.map((c) => `x.${id(c)} = e.${id(c)}::${typeOf(shape, service, c)}`).join(' AND ')})`;
  const params = [...key.map((c) => expected.map((e) => (e.row[c] ?? null) as TextValue)), expected.map((e) => e.source)];
  const result = await client.query<{ source: string; key: string }>(sql, params);
  return result.rows.map((r) => ({ source: r.source, key: describeTargetKey(key, r.key), kind: 'missing', columns: [] }));
}
