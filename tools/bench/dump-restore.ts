import { spawn } from 'node:child_process';
import { legacySchemaSql } from '../../mappings/legacy/schema.js';
import type { EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { recreateDatabase, withClient } from './bench-cluster.js';

const COPY_DB = 'bench_dump_copy';

/**
 * The backfill alternative: `pg_dump --data-only -t <tables> | psql` from the legacy database into
 * an empty copy of the legacy schema. Returns the milliseconds of the pipe (the empty copy is
 * made before the clock starts).
 */
export async function timeDumpRestore(cluster: EmbeddedCluster, tools: { readonly pgDump: string; readonly psql: string }, legacyUrl: string, tables: readonly string[]): Promise<number> {
  await recreateDatabase(cluster, COPY_DB);
  await withClient(cluster.url(COPY_DB), (c) => c.query(legacySchemaSql()));
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const dump = spawn(tools.pgDump, ['--data-only', ...tables.flatMap((t) => ['-t', `public.${t}`]), '-d', legacyUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
    const restore = spawn(tools.psql, ['-q', '-X', '-v', 'ON_ERROR_STOP=1', '-d', cluster.url(COPY_DB)], { stdio: ['pipe', 'ignore', 'pipe'] });
    dump.stdout?.pipe(restore.stdin!);
    let errors = '';
    dump.stderr?.on('data', (c: Buffer) => (errors += c.toString()));
    restore.stderr?.on('data', (c: Buffer) => (errors += c.toString()));
    let pending = 2;
    const done = (tool: string) => (code: number | null) => {
      if (code !== 0) reject(new Error(`${tool} exited with ${code}: ${errors.trim().slice(0, 2000)}`));
      else if (--pending === 0) resolve();
    };
    dump.on('error', reject);
    restore.on('error', reject);
    dump.on('exit', done('pg_dump'));
    restore.on('exit', done('psql'));
  });
  return performance.now() - started;
}
