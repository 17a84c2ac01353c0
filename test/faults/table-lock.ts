import pg from 'pg';
import { SUITE_APPLICATION, databaseOf, sql } from './suite-connection.js';

/** ACCESS EXCLUSIVE locks on target tables, held in an open transaction until `release()`. */
export interface TableLock {
  readonly database: string;
  readonly tables: readonly string[];
  readonly lockedAt: number;
  /** Rolls the holding transaction back and closes its connection. Idempotent, never throws. */
  readonly release: () => Promise<void>;
}

export async function lockTables(url: string, tables: readonly string[]): Promise<TableLock> {
  const client = new pg.Client({ connectionString: url, application_name: SUITE_APPLICATION, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${tables.map((t) => `public.${client.escapeIdentifier(t)}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  let released: Promise<void> | undefined;
  return {
    database: databaseOf(url),
    tables,
    lockedAt: Date.now(),
    release: () =>
      (released ??= (async () => {
        await client.query('ROLLBACK').catch(() => undefined);
        await client.end().catch(() => undefined);
      })()),
  };
}

/** Backends of others (not the suite's) in `database` that wait on a heavyweight lock now. */
export async function lockWaiters(adminUrl: string, database: string): Promise<readonly number[]> {
  const rows = await sql<{ pid: number }>(
    adminUrl,
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND application_name <> $2 AND pid <> pg_backend_pid()`,
    [database, SUITE_APPLICATION],
  );
  return rows.map((r) => r.pid);
}

/** Terminates the given backends; returns how many were signalled. */
export async function terminate(adminUrl: string, pids: readonly number[]): Promise<number> {
  if (pids.length === 0) return 0;
  const rows = await sql<{ n: number }>(adminUrl, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM unnest($1::int[]) AS pid`, [pids]);
  return rows[0]?.n ?? 0;
}
