import pg from 'pg';
import { classify } from '../errors/classify.js';
import { PgcarveError } from '../errors/pgcarve-error.js';
import { parseLsn, type Lsn } from '../lsn.js';

/** The oldest legacy server pgcarve streams from (server_version_num): PostgreSQL 14. */
export const MIN_SERVER_VERSION = 140_000;

/** What the legacy database looks like to pgcarve before it streams. */
export interface SourceCheck {
  /** Tables in schema public. */
  readonly tables: readonly string[];
  readonly serverVersion: number;
}

/**
 * Checks the legacy database can be streamed from: wal_level, the mapped tables exist, each has a
 * usable replica identity (a primary key, or REPLICA IDENTITY FULL) and the role may SELECT it.
 * All problems at once.
 */
export async function checkSource(client: pg.ClientBase, mapped: readonly string[]): Promise<SourceCheck> {
  const problems: string[] = [];
  const wal = await client.query<{ wal_level: string; version: string }>("SELECT current_setting('wal_level') AS wal_level, current_setting('server_version_num') AS version");
  const version = Number(wal.rows[0]?.version ?? 0);
  if (version > 0 && version < MIN_SERVER_VERSION) {
    // pgoutput's `messages` option (14+) carries the fences of wait-sync, /sync and cutover.
    problems.push(`the legacy server runs PostgreSQL ${Math.floor(version / 10_000)}, but pgcarve needs 14 or newer (its pgoutput sends the logical decoding messages that fences are made of): upgrade the legacy server`);
  }
  if (wal.rows[0]?.wal_level !== 'logical') {
    problems.push(`wal_level is ${wal.rows[0]?.wal_level}: set wal_level=logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL`);
  }
  const tables = await client.query<{ name: string; identity: string; has_pk: boolean; readable: boolean; role: string }>(
    `SELECT c.relname AS name, c.relreplident AS identity,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk,
            has_table_privilege(c.oid, 'SELECT') AS readable, current_user AS role
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname`,
  );
  const byName = new Map(tables.rows.map((r) => [r.name, r]));
  for (const table of mapped) {
    const row = byName.get(table);
    if (!row) problems.push(`legacy table public.${table} does not exist, but a mapping reads it: check DATABASE_URL_LEGACY points at the monolith`);
    else if (row.identity === 'n' || (row.identity === 'd' && !row.has_pk)) {
      problems.push(`legacy table public.${table} has no primary key: add one or run ALTER TABLE public.${table} REPLICA IDENTITY FULL`);
    }
    // The backfill reads every mapped table; without SELECT it would fail after the slot exists.
    if (row && !row.readable) problems.push(`the legacy role ${row.role} may not read legacy table public.${table}, which a mapping reads: run GRANT SELECT ON public.${table} TO ${client.escapeIdentifier(row.role)};`);
  }
  if (problems.length > 0) {
    const kind = problems.some((p) => p.startsWith('wal_level') || p.includes('needs 14 or newer')) ? 'server_misconfigured' : problems.some((p) => p.includes('may not read')) ? 'privilege' : problems.some((p) => p.includes('no primary key')) ? 'no_replica_identity' : 'table_missing';
    throw new PgcarveError(kind, problems.join('\n'));
  }
  return { tables: tables.rows.map((r) => r.name), serverVersion: Number(wal.rows[0]?.version ?? 0) };
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
  const client = new pg.Client({ connectionString, replication: 'database' } as pg.ClientConfig);
  try {
    await client.connect();
  } catch (error) {
    throw classify(error, 'opening a replication connection to the legacy database');
  }
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
