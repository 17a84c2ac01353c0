import pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { parseLsn, type Lsn } from '../lsn.js';
import { connect } from '../pg/with-client.js';

/** The oldest legacy server pgcarve streams from (server_version_num): PostgreSQL 14. */
export const MIN_SERVER_VERSION = 140_000;

/** What the legacy database looks like to pgcarve before it streams. */
export interface SourceCheck {
  /** Tables in schema public. */
  readonly tables: readonly string[];
  readonly serverVersion: number;
}

/**
 * Checks the legacy database can be streamed from: wal_level, the server's version, the mapped
 * tables exist, the role may SELECT them, and each has a usable replica identity: one whose
 * columns hold the mapping's source key (`keyOf`; by default the table's primary key), or REPLICA
 * IDENTITY FULL. With any other identity pgoutput sends the key of an updated or deleted row as
 * NULL. All problems at once.
 */
export async function checkSource(client: pg.ClientBase, mapped: readonly string[], keyOf: (table: string) => readonly string[] | undefined = () => undefined): Promise<SourceCheck> {
  const problems: { readonly kind: 'server_misconfigured' | 'privilege' | 'table_missing' | 'no_replica_identity'; readonly text: string }[] = [];
  const wal = await client.query<{ wal_level: string; version: string }>("SELECT current_setting('wal_level') AS wal_level, current_setting('server_version_num') AS version");
  const version = Number(wal.rows[0]?.version ?? 0);
  if (version > 0 && version < MIN_SERVER_VERSION) {
    // pgoutput's `messages` option (14+) carries the fences of wait-sync, /sync and cutover.
    problems.push({ kind: 'server_misconfigured', text: `the legacy server runs PostgreSQL ${Math.floor(version / 10_000)}, but pgcarve needs 14 or newer (its pgoutput sends the logical decoding messages that fences are made of): upgrade the legacy server` });
  }
  if (wal.rows[0]?.wal_level !== 'logical') {
    problems.push({ kind: 'server_misconfigured', text: `wal_level is ${wal.rows[0]?.wal_level}: set wal_level=logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL` });
  }
  const tables = await client.query<IdentityRow>(
    `SELECT c.relname AS name, c.relreplident AS identity,
            pk.relname AS pk_index, ${INDEX_COLUMNS('pk')} AS pk_columns,
            ri.relname AS identity_index, ${INDEX_COLUMNS('ri')} AS identity_columns,
            has_table_privilege(c.oid, 'SELECT') AS readable, current_user AS role
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_index pki ON pki.indrelid = c.oid AND pki.indisprimary LEFT JOIN pg_class pk ON pk.oid = pki.indexrelid
       LEFT JOIN pg_index rii ON rii.indrelid = c.oid AND rii.indisreplident LEFT JOIN pg_class ri ON ri.oid = rii.indexrelid
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  const byName = new Map(tables.rows.map((r) => [r.name, r]));
  for (const table of mapped) {
    const row = byName.get(table);
    if (!row) problems.push({ kind: 'table_missing', text: `legacy table public.${table} does not exist, but a mapping reads it: check DATABASE_URL_LEGACY points at the monolith` });
    else {
      const problem = identityProblem(table, row, keyOf(table) ?? row.pk_columns ?? []);
      if (problem) problems.push({ kind: 'no_replica_identity', text: problem });
    }
    // The backfill reads every mapped table; without SELECT it would fail after the slot exists.
    if (row && !row.readable) problems.push({ kind: 'privilege', text: `the legacy role ${row.role} may not read legacy table public.${table}, which a mapping reads: run GRANT SELECT ON public.${table} TO ${client.escapeIdentifier(row.role)};` });
  }
  if (problems.length > 0) {
    const kind = (['server_misconfigured', 'privilege', 'no_replica_identity', 'table_missing'] as const).find((k) => problems.some((p) => p.kind === k)) ?? 'table_missing';
    throw new PgcarveError(kind, problems.map((p) => p.text).join('\n'));
  }
  return { tables: tables.rows.map((r) => r.name), serverVersion: Number(wal.rows[0]?.version ?? 0) };
}

interface IdentityRow {
  readonly name: string;
  /** pg_class.relreplident: d(efault), n(othing), f(ull), i(ndex). */
  readonly identity: string;
  readonly pk_index: string | null;
  readonly pk_columns: readonly string[] | null;
  readonly identity_index: string | null;
  readonly identity_columns: readonly string[] | null;
  /** has_table_privilege(…, 'SELECT') for the connected role, who is `role`. */
  readonly readable: boolean;
  readonly role: string;
}

/** The columns of the index `alias` (a pg_class row), in index order, as text[]. */
const INDEX_COLUMNS = (alias: string): string =>
  `(SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum WHERE i.indexrelid = ${alias}.oid)`;

/** Why updates and deletes of `table` would not carry every column of `key`, or undefined. */
function identityProblem(table: string, row: IdentityRow, key: readonly string[]): string | undefined {
  const t = `public.${table}`;
  const fix = row.pk_index && key.every((c) => row.pk_columns?.includes(c)) ? `ALTER TABLE ${t} REPLICA IDENTITY USING INDEX ${row.pk_index} (or REPLICA IDENTITY DEFAULT)` : `a unique index on (${key.join(', ')}) and ALTER TABLE ${t} REPLICA IDENTITY USING INDEX <that index>`;
  const remedy = `run ${fix}, or ALTER TABLE ${t} REPLICA IDENTITY FULL`;
  switch (row.identity) {
    case 'f':
      return undefined;
    case 'n':
      return `legacy table ${t} has REPLICA IDENTITY NOTHING: updates and deletes would arrive without their key (${key.join(', ')}); ${remedy}`;
    case 'i': {
      const columns = row.identity_columns ?? [];
      if (key.every((c) => columns.includes(c))) return undefined;
      return `legacy table ${t} has REPLICA IDENTITY USING INDEX ${row.identity_index} on (${columns.join(', ')}), which lacks its mapping's key (${key.join(', ')}): updates and deletes would arrive with that key as NULL; ${remedy}`;
    }
    default: {
      if (!row.pk_index) return `legacy table ${t} has no primary key: add one or run ALTER TABLE ${t} REPLICA IDENTITY FULL`;
      const columns = row.pk_columns ?? [];
      if (key.every((c) => columns.includes(c))) return undefined;
      return `legacy table ${t} has its primary key ${row.pk_index} on (${columns.join(', ')}) as replica identity, which lacks its mapping's key (${key.join(', ')}): updates and deletes would arrive without it; ${remedy}`;
    }
  }
}

/** Creates the publication for exactly `tables`, or changes an existing one to exactly them. */
export async function ensurePublication(client: pg.ClientBase, publication: string, tables: readonly string[]): Promise<void> {
  const list = [...tables].sort().map((t) => `public.${client.escapeIdentifier(t)}`).join(', ');
  const exists = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication]);
  try {
    if (exists.rowCount === 0) {
      await client.query(`CREATE PUBLICATION ${client.escapeIdentifier(publication)} FOR TABLE ${list}`);
      return;
    }
    const current = await client.query<{ tablename: string }>("SELECT tablename FROM pg_publication_tables WHERE pubname = $1 AND schemaname = 'public' ORDER BY tablename", [publication]);
    const have = current.rows.map((r) => r.tablename).join(',');
    if (have !== [...tables].sort().join(',')) await client.query(`ALTER PUBLICATION ${client.escapeIdentifier(publication)} SET TABLE ${list}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42710' || code === '23505') return; // created concurrently by another process
    if (code === '42501') throw new PgcarveError('privilege', `the legacy role may not create publication ${publication}: run CREATE PUBLICATION ${publication} FOR TABLE ${list} as the tables' owner, or grant ownership`, { cause: error });
    throw classify(error, `creating publication ${publication}`);
  }
}

export interface SlotInfo {
  readonly exists: boolean;
  readonly confirmedFlush: Lsn | undefined;
  readonly plugin: string | undefined;
  readonly active: boolean;
  readonly walStatus: string | undefined;
}

export async function readSlot(client: pg.ClientBase, slot: string): Promise<SlotInfo> {
  const result = await client.query<{ plugin: string; confirmed: string | null; active: boolean; wal_status: string | null; database: string; current: string }>(
    `SELECT plugin, confirmed_flush_lsn::text AS confirmed, active, wal_status, database, current_database() AS current
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = result.rows[0];
  if (!row) return { exists: false, confirmedFlush: undefined, plugin: undefined, active: false, walStatus: undefined };
  if (row.plugin !== 'pgoutput' || row.database !== row.current) {
    throw new PgcarveError('slot_invalid', `replication slot ${slot} exists but is not a pgoutput slot of database ${row.current} (plugin ${row.plugin}, database ${row.database}): choose another PGCARVE_SLOT or drop that slot`);
  }
  if (row.wal_status === 'lost') {
    throw new PgcarveError('slot_invalid', `replication slot ${slot} has lost WAL it needed (wal_status = lost): the targets can no longer be brought up to date by streaming; drop the slot, and re-run pgcarve to backfill again`);
  }
  return { exists: true, confirmedFlush: row.confirmed ? parseLsn(row.confirmed) : undefined, plugin: row.plugin, active: row.active, walStatus: row.wal_status ?? undefined };
}

/**
 * A slot just created over a replication connection. With `exportSnapshot`, `snapshot` names a
 * snapshot other sessions can import (SET TRANSACTION SNAPSHOT) to read the legacy tables exactly
 * as of `consistentPoint`; it stays valid until `release()` closes the connection.
 */
export interface CreatedSlot {
  readonly consistentPoint: Lsn;
  readonly snapshot: string | undefined;
  readonly release: () => Promise<void>;
}

export async function createSlot(connectionString: string, slot: string, exportSnapshot: boolean): Promise<CreatedSlot> {
  const client = await connect(connectionString, { doing: 'opening a replication connection to the legacy database', replication: true });
  try {
    const result = await client.query<{ consistent_point: string; snapshot_name: string | null }>(
      `CREATE_REPLICATION_SLOT ${client.escapeIdentifier(slot)} LOGICAL pgoutput ${exportSnapshot ? 'EXPORT_SNAPSHOT' : 'NOEXPORT_SNAPSHOT'}`,
    );
    const row = result.rows[0];
    if (!row) throw new PgcarveError('internal', 'CREATE_REPLICATION_SLOT returned no row');
    return {
      consistentPoint: parseLsn(row.consistent_point),
      snapshot: row.snapshot_name ?? undefined,
      release: async () => {
        await client.end().catch(() => undefined);
      },
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === '42501') throw new PgcarveError('privilege', `the legacy role may not create replication slots: ALTER ROLE <role> REPLICATION (or use a role that has it)`, { cause: error });
    if (code === '53400') throw new PgcarveError('server_misconfigured', `the legacy server has no free replication slot: raise max_replication_slots and restart it, or drop unused slots`, { cause: error });
    throw classify(error, `creating replication slot ${slot}`);
  }
}
