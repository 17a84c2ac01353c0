import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inject } from 'vitest';
import { legacySchemaSql } from '../../mappings/legacy/schema.js';
import { SERVICE_URL_KEYS, type ServiceName, SERVICES } from '../../mappings/services.js';
import { migrateService } from '../../src/migrate/migrate-services.js';
import { withClient as withPgClient } from '../../src/pg/with-client.js';

/**
 * Fresh databases for one test file: a legacy database with the monolith's schema and the five
 * service databases at the latest migration, cloned from template databases (built once per
 * cluster, under an advisory lock), plus a slot and publication name no other file uses.
 */
export interface TestDatabases {
  /** Maintenance database of the targets' server. */
  readonly adminUrl: string;
  /** Maintenance database of the legacy server: adminUrl, or another major's (PGCARVE_TEST_LEGACY_MAJOR). */
  readonly legacyAdminUrl: string;
  readonly legacyUrl: string;
  readonly serviceUrls: Readonly<Record<ServiceName, string>>;
  readonly slot: string;
  readonly publication: string;
  /** The environment a pgcarve process needs for these databases. */
  readonly env: Readonly<Record<string, string>>;
  /** Drops the slot and every database. */
  readonly drop: () => Promise<void>;
}

const TEMPLATE_LOCK = 7_248_913_777;

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** src/pg's withClient for the tests' own statements, without a connect timeout (the machine is shared). */
export async function withClient<T>(url: string, f: (client: pg.Client) => Promise<T>): Promise<T> {
  return await withPgClient(url, { doing: 'running a test statement', connectTimeoutMs: 0 }, f);
}

async function ensureTemplates(adminUrl: string, services = true): Promise<void> {
  await withClient(adminUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const existing = new Set((await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'pgcarve_tpl_%'`)).rows.map((r) => r.datname));
      if (!existing.has('pgcarve_tpl_legacy')) {
        await admin.query('CREATE DATABASE pgcarve_tpl_legacy_building');
        await withClient(databaseUrl(adminUrl, 'pgcarve_tpl_legacy_building'), (c) => c.query(legacySchemaSql()));
        await admin.query('ALTER DATABASE pgcarve_tpl_legacy_building RENAME TO pgcarve_tpl_legacy');
      }
      for (const service of services ? SERVICES : []) {
        const name = `pgcarve_tpl_${service}`;
        if (existing.has(name)) continue;
        await migrateService(service, databaseUrl(adminUrl, `${name}_building`));
        await admin.query(`ALTER DATABASE ${name}_building RENAME TO ${name}`);
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
}

/** Creates an empty database (no schema) and returns its URL. */
export async function createEmptyDatabase(adminUrl: string = inject('pgAdminUrl'), prefix = 't'): Promise<string> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await withClient(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  return databaseUrl(adminUrl, name);
}

export async function createTestDatabases(options: { readonly adminUrl?: string; readonly legacyAdminUrl?: string; readonly migrated?: boolean } = {}): Promise<TestDatabases> {
  const adminUrl = options.adminUrl ?? inject('pgAdminUrl');
  // A cluster of its own (options.adminUrl) holds everything; a legacy cluster of its own
  // (options.legacyAdminUrl) holds the legacy database; otherwise the legacy databases may live on another major.
  const legacyAdminUrl = options.legacyAdminUrl ?? options.adminUrl ?? (inject('pgLegacyAdminUrl') || adminUrl);
  const migrated = options.migrated ?? true;
  await ensureTemplates(adminUrl);
  if (legacyAdminUrl !== adminUrl) await ensureTemplates(legacyAdminUrl, false);
  const id = randomBytes(5).toString('hex');
  const legacy = `t${id}_legacy`;
  const targets = Object.fromEntries(SERVICES.map((s) => [s, `t${id}_${s}`])) as Record<ServiceName, string>;
  await withClient(legacyAdminUrl, (admin) => admin.query(`CREATE DATABASE ${legacy} TEMPLATE pgcarve_tpl_legacy`));
  await withClient(adminUrl, async (admin) => {
    for (const service of SERVICES) {
      if (migrated) await admin.query(`CREATE DATABASE ${targets[service]} TEMPLATE pgcarve_tpl_${service}`);
    }
  });
  const serviceUrls = Object.fromEntries(SERVICES.map((s) => [s, databaseUrl(adminUrl, targets[s])])) as Record<ServiceName, string>;
  const slot = `slot_${id}`;
  const publication = `pub_${id}`;
  const env: Record<string, string> = {
    DATABASE_URL_LEGACY: databaseUrl(legacyAdminUrl, legacy),
    PGCARVE_SLOT: slot,
    PGCARVE_PUBLICATION: publication,
    PGCARVE_HTTP_PORT: '0',
    PGCARVE_LOG_LEVEL: 'warn',
  };
  for (const service of SERVICES) env[SERVICE_URL_KEYS[service]] = serviceUrls[service];
  return {
    adminUrl,
    legacyAdminUrl,
    legacyUrl: databaseUrl(legacyAdminUrl, legacy),
    serviceUrls,
    slot,
    publication,
    env,
    drop: async () => {
      await withClient(legacyAdminUrl, async (admin) => {
        await admin.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active`, [slot]).catch(() => undefined);
        await admin.query(`DROP DATABASE IF EXISTS ${legacy} WITH (FORCE)`).catch(() => undefined);
      });
      await withClient(adminUrl, async (admin) => {
        for (const name of Object.values(targets)) {
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
        }
      });
    },
  };
}
