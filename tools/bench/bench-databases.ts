import { legacySchemaSql } from '../../mappings/legacy/schema.js';
import { LEGACY_RULES } from '../../mappings/index.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { SERVICE_URL_KEYS, type ServiceName, SERVICES } from '../../mappings/services.js';
import type { EmbeddedCluster } from '../embedded/embedded-cluster.js';
import { migrateAll } from '../../src/migrate/migrate-services.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { seedLegacy } from '../workload/seed.js';
import { recreateDatabase, withClient } from './bench-cluster.js';

/** The names the benchmark gives its slot and publication (pgcarve's own). */
export const BENCH_SLOT = 'pgcarve_bench';

export const LEGACY_DB = 'legacy';

/** The benchmark's databases on one cluster: the legacy monolith and the five service databases. */
export interface BenchDatabases {
  readonly cluster: EmbeddedCluster;
  readonly legacyUrl: string;
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
  /** The legacy tables the mappings read (what backfill copies and the publication holds). */
  readonly mappedTables: readonly string[];
  readonly seededRows: number;
  /** pgcarve's configuration over these databases (no drift check, HTTP on `httpPort`). */
  config(httpPort?: number): Config;
  configEnv(httpPort?: number): Record<string, string>;
}

/**
 * Creates and seeds the legacy database. activity_logs gets REPLICA IDENTITY FULL: native logical
 * replication refuses a row filter (entity LIKE 'scraper%') on a column outside the replica
 * identity when updates and deletes are published, so the comparison needs it, and pgcarve then
 * decodes the same (larger) old rows.
 */
export async function createBenchDatabases(cluster: EmbeddedCluster, scale: number): Promise<BenchDatabases> {
  await recreateDatabase(cluster, LEGACY_DB);
  const legacyUrl = cluster.url(LEGACY_DB);
  const report = await withClient(legacyUrl, async (c) => {
    await c.query(legacySchemaSql());
    const seeded = await seedLegacy(c, { scale, seed: 1 });
    await c.query('ALTER TABLE public.activity_logs REPLICA IDENTITY FULL');
    await c.query('VACUUM ANALYZE');
    return seeded;
  });
  const serviceUrls = Object.fromEntries(SERVICES.map((s) => [s, cluster.url(s)])) as Record<ServiceName, string>;
  const mappedTables = new RoutingTable(LEGACY_RULES).mappedSources();
  const seededRows = Object.entries(report.rows)
    .filter(([table]) => mappedTables.includes(table))
    .reduce((sum, [, n]) => sum + n, 0);
  const configEnv = (httpPort = 0): Record<string, string> => {
    const env: Record<string, string> = {
      DATABASE_URL_LEGACY: legacyUrl,
      PGCARVE_SLOT: BENCH_SLOT,
      PGCARVE_PUBLICATION: BENCH_SLOT,
      PGCARVE_HTTP_PORT: String(httpPort),
      PGCARVE_LOG_LEVEL: 'warn',
      PGCARVE_DRIFT_INTERVAL_SECONDS: '0',
    };
    for (const service of SERVICES) env[SERVICE_URL_KEYS[service]] = serviceUrls[service];
    return env;
  };
  return { cluster, legacyUrl, serviceUrls, mappedTables, seededRows, configEnv, config: (httpPort) => loadConfig(configEnv(httpPort)) };
}

/** Empty, migrated service databases and no pgcarve slot: the state before a first `pgcarve run`. */
export async function freshTargets(db: BenchDatabases): Promise<void> {
  await withClient(db.legacyUrl, (c) => c.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [BENCH_SLOT]));
  for (const service of SERVICES) await recreateDatabase(db.cluster, service);
  for (const result of await migrateAll(db.serviceUrls)) {
    if ('error' in result) throw result.error;
  }
}
