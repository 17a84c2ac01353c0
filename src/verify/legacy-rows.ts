import pg from 'pg';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { parseLsn, type Lsn } from '../lsn.js';
import type { SourceRow, TextValue } from '../values.js';
import { connect } from '../pg/with-client.js';
import { LEGACY_TARGET } from '../pg/legacy-target.js';

/** A legacy table as the drift check reads it: its key columns with their SQL types. */
export interface LegacyTable {
  readonly table: string;
  readonly key: readonly { readonly column: string; readonly type: string }[];
}

/** One legacy row: its key, its version and its values as text. */
export interface LegacyRow {
  readonly key: readonly TextValue[];
  /** `keyId(key)`. */
  readonly id: string;
  /**
   * The row version's xmin. Every update or delete-and-insert makes a new version with a new xmin,
   * so an equal xmin in two reads means no transaction changed the row in between.
   */
  readonly version: string;
  readonly row: SourceRow;
}

/** Rows read in one REPEATABLE READ transaction, and the WAL position at that snapshot. */
export interface LegacyRead {
  /**
   * pg_current_wal_insert_lsn() read as the transaction's first statement: every transaction the
   * snapshot sees has its commit record below it, so a target whose checkpoint is at or past it has
   * applied everything these rows show.
   */
  readonly readLsn: Lsn;
  readonly rows: readonly LegacyRow[];
}

/** The identity of a key (JSON of its text values), for maps and for reports. */
export function keyId(key: readonly TextValue[]): string {
  return JSON.stringify(key);
}

/** A legacy key as the operator reads it: `id=42`. */
export function describeKey(table: LegacyTable, id: string): string {
  const values = JSON.parse(id) as TextValue[];
  return table.key.map((k, i) => `${k.column}=${values[i] ?? 'NULL'}`).join(', ');
}

const VERSION = '__pgcarve_version';

/**
 * A connection to the legacy database for reading rows exactly as pgoutput sends them: every value
 * as PostgreSQL's text (no JavaScript parsing), DateStyle ISO, UTC.
 */
export async function connectLegacyReader(url: string): Promise<pg.Client> {
  const client = await connect(url, { doing: 'reading legacy rows to verify', target: LEGACY_TARGET, application: 'pgcarve-verify', types: { getTypeParser: () => (value: string) => value } as pg.CustomTypesConfig });
  await client.query("SET datestyle = 'ISO, MDY'; SET intervalstyle = 'postgres'; SET extra_float_digits = 3; SET TIME ZONE 'UTC'");
  return client;
}

/** Reads the key column types of the legacy tables (keys as the mappings declare them). */
export async function loadLegacyTables(client: pg.ClientBase, tables: readonly { readonly table: string; readonly key: readonly string[] }[]): Promise<ReadonlyMap<string, LegacyTable>> {
  const result = await client.query<{ table: string; column: string; type: string }>(
    `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])`,
    [tables.map((t) => t.table)],
  );
  const types = new Map(result.rows.map((r) => [`${r.table}.${r.column}`, r.type]));
  const out = new Map<string, LegacyTable>();
  for (const { table, key } of tables) {
    out.set(table, {
      table,
      key: key.map((column) => {
        const type = types.get(`${table}.${column}`);
        if (type === undefined) throw new PgcarveError('column_missing', `legacy table public.${table} has no key column ${column}, which its mapping declares`);
        return { column, type };
      }),
    });
  }
  return out;
}

function keyList(client: pg.ClientBase, table: LegacyTable, alias = ''): string {
  return table.key.map((k) => `${alias}${client.escapeIdentifier(k.column)}`).join(', ');
}

function castParams(table: LegacyTable, first: number): string {
  return table.key.map((k, i) => `$${first + i}::${k.type}`).join(', ');
}

async function inSnapshot(client: pg.ClientBase, read: () => Promise<pg.QueryResult>): Promise<{ readLsn: Lsn; result: pg.QueryResult }> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const lsn = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const result = await read();
    await client.query('COMMIT');
    return { readLsn: parseLsn(lsn.rows[0]?.lsn ?? '0/0'), result };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function toRows(table: LegacyTable, rows: readonly Record<string, string | null>[]): LegacyRow[] {
  return rows.map((raw) => {
    const { [VERSION]: version, ...row } = raw;
    const key = table.key.map((k) => row[k.column] ?? null);
    return { key, id: keyId(key), version: version ?? '', row };
  });
}

/**
 * The next chunk in key order: at most `limit` rows with a key greater than `after` (from the
 * start when undefined), in a short REPEATABLE READ transaction (keyset pagination, never OFFSET).
 */
export async function readChunk(client: pg.ClientBase, table: LegacyTable, after: readonly TextValue[] | undefined, limit: number): Promise<LegacyRead> {
  const name = `public.${client.escapeIdentifier(table.table)}`;
  const where = after === undefined ? '' : `WHERE (${keyList(client, table)}) > (${castParams(table, 2)})`;
  const sql = `SELECT xmin AS ${VERSION}, * FROM ${name} ${where} ORDER BY ${keyList(client, table)} LIMIT $1`;
  const { readLsn, result } = await inSnapshot(client, () => client.query(sql, [limit, ...(after ?? [])]));
  return { readLsn, rows: toRows(table, result.rows as Record<string, string | null>[]) };
}

/** The rows with the given keys (those that exist), in one REPEATABLE READ transaction. */
export async function readKeys(client: pg.ClientBase, table: LegacyTable, keys: readonly (readonly TextValue[])[]): Promise<LegacyRead> {
  const name = `public.${client.escapeIdentifier(table.table)}`;
  const columns = table.key.map((k) => client.escapeIdentifier(k.column));
  const sql = `SELECT t.xmin AS ${VERSION}, t.* FROM ${name} AS t
    JOIN unnest(${table.key.map((_, i) => `$${i + 1}::text[]`).join(', ')}) AS k(${columns.join(', ')})
      ON ${table.key.map((k, i) => `t.${columns[i]} = k.${columns[i]}::${k.type}`).join(' AND ')}`;
  const params = table.key.map((_, i) => keys.map((key) => key[i] ?? null));
  const { readLsn, result } = await inSnapshot(client, () => client.query(sql, params));
  return { readLsn, rows: toRows(table, result.rows as Record<string, string | null>[]) };
}
