/**
 * Backfill rate against the plain-copy baseline, on one machine and one PostgreSQL 17 server:
 *
 *   npx tsx test/backfill/backfill-bench.ts [scale]        (default scale 20000: about 194k rows, 142 MiB with indexes and TOAST)
 *
 * Baseline: what `pg_dump --data-only legacy | psql copy` does, table by table: `COPY t TO STDOUT`
 * from the legacy database piped into `COPY t FROM STDIN` of an empty copy of its schema, with the
 * system's psql (pg_dump 15 refuses a 17 server; psql's COPY does not care). Sequential, as pg_dump
 * without -j is. pgcarve: Backfill.copy() on a fresh slot's exported snapshot into the five migrated
 * service databases, through the mappings, with 1 and with 4 connections.
 */
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { LEGACY_RULES } from '../../mappings/index.js';
import { legacySchemaSql, LEGACY_TABLES } from '../../mappings/legacy/schema.js';
import { Backfill } from '../../src/backfill/backfill.js';
import { EmbeddedCluster } from '../../tools/embedded/embedded-cluster.js';
import { silentLogger } from '../../src/log.js';
import { migrateService } from '../../src/migrate/migrate-services.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { SERVICES, type ServiceName } from '../../mappings/services.js';
import { createSlot } from '../../src/source/slot.js';
import { seedLegacy } from './seed-legacy.js';

const scale = Number(process.argv[2] ?? 20_000);
const cluster = await EmbeddedCluster.create({ name: 'bench', settings: { shared_buffers: '256MB', max_wal_size: '4GB', checkpoint_timeout: '30min' } });

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

try {
  const admin = cluster.url('postgres');
  await sql(admin, 'CREATE DATABASE legacy');
  const legacyUrl = cluster.url('legacy');
  await sql(legacyUrl, legacySchemaSql());
  let started = performance.now();
  await seedLegacy(legacyUrl, scale);
  await sql(legacyUrl, 'VACUUM ANALYZE');
  const routing = new RoutingTable(LEGACY_RULES);
  const mapped = routing.mappedSources();
  const sizes = await sql(
    legacyUrl,
    `SELECT sum(n_live_tup)::bigint AS rows, sum(pg_total_relation_size(relid))::bigint AS bytes FROM pg_stat_user_tables WHERE relname = ANY('{${mapped.join(',')}}')`,
  );
  const { rows, bytes } = sizes.rows[0] as { rows: string; bytes: string };
  console.log(`seeded scale ${scale} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${rows} rows in the ${mapped.length} mapped tables, ${(Number(bytes) / 2 ** 20).toFixed(0)} MiB with indexes and TOAST`);

  // Baseline: COPY out | COPY in, table by table in foreign-key order, into an empty copy.
  await sql(admin, 'CREATE DATABASE legacy_copy');
  const copyUrl = cluster.url('legacy_copy');
  await sql(copyUrl, legacySchemaSql());
  const psql = (url: string, command: string): string => `psql -X -q -v ON_ERROR_STOP=1 '${url}' -c "${command}"`;
  const version = execFileSync('psql', ['--version'], { encoding: 'utf8' }).trim().split(' ')[2];
  const copyPipe = async (): Promise<number> => {
    await sql(copyUrl, `TRUNCATE ${mapped.map((t) => `public.${t}`).join(', ')} CASCADE`);
    const at = performance.now();
    for (const table of LEGACY_TABLES) {
      if (!mapped.includes(table)) continue;
      execFileSync('sh', ['-c', `${psql(legacyUrl, `COPY public.${table} TO STDOUT`)} | ${psql(copyUrl, `COPY public.${table} FROM STDIN`)}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const seconds = (performance.now() - at) / 1000;
    console.log(`COPY TO STDOUT | COPY FROM STDIN (psql ${version}), sequential: ${seconds.toFixed(1)} s, ${Math.round(Number(rows) / seconds)} rows/s`);
    return seconds;
  };
  // The machine may be shared: each pgcarve run is bracketed by baseline runs, and compared with their mean.
  let before = await copyPipe();

  for (const concurrency of (process.env.BENCH_CONCURRENCY ?? '1,4').split(',').map(Number)) {
    const serviceUrls = {} as Record<ServiceName, string>;
    for (const service of SERVICES) {
      await sql(admin, `CREATE DATABASE ${service}_c${concurrency}`);
      serviceUrls[service] = cluster.url(`${service}_c${concurrency}`);
      await migrateService(service, serviceUrls[service]);
    }
    const slot = `bench_c${concurrency}`;
    const config = { legacyUrl, serviceUrls, slot, backfillConcurrency: concurrency };
    const backfill = new Backfill({ config, log: silentLogger });
    await backfill.plan(routing);
    const created = await createSlot(legacyUrl, slot, true);
    started = performance.now();
    try {
      await backfill.copy(created, routing, new AbortController().signal);
    } finally {
      await created.release();
    }
    const seconds = (performance.now() - started) / 1000;
    const after = await copyPipe();
    const baseline = (before + after) / 2;
    before = after;
    console.log(
      `pgcarve backfill, ${concurrency} connection(s): ${seconds.toFixed(1)} s, ${Math.round(Number(rows) / seconds)} rows/s, ${(seconds / baseline).toFixed(2)}× the baseline's time; peak RSS of this process so far ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
    );
    await sql(legacyUrl, `SELECT pg_drop_replication_slot('${slot}')`);
  }
} finally {
  await cluster.destroy();
}
