import pg from 'pg';
import { LEGACY_RULES } from '../../mappings/index.js';
import { legacySchemaSql } from '../../mappings/legacy/schema.js';
import { SERVICE_URL_KEYS, type ServiceName, SERVICES } from '../../mappings/services.js';
import { EmbeddedCluster } from '../../tools/embedded/embedded-cluster.js';
import { RoutingTable } from '../../src/router/routing-table.js';

/** Password authentication for every role but the superuser `postgres` (the test's own). */
export const PASSWORD_HBA = `local all all trust
host all postgres 127.0.0.1/32 trust
host replication postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
`;

/** The legacy tables some mapping reads: the only ones the legacy role may SELECT. */
export const MAPPED_TABLES: readonly string[] = [...new RoutingTable(LEGACY_RULES).bySource.keys()].sort();

/**
 * The least-privileged setup the README documents, on `cluster`: the legacy database owned by the
 * superuser, with a publication of the mapped tables created by it; a legacy role with LOGIN,
 * REPLICATION and SELECT on the mapped tables only; per service a role that owns its (empty)
 * database and nothing else. Returns the environment of a pgcarve process logging in as them.
 */
export interface RestrictedSetup {
  readonly legacyRole: string;
  readonly legacyAdminUrl: string;
  readonly env: Readonly<Record<string, string>>;
  readonly passwords: readonly string[];
}

function roleUrl(cluster: EmbeddedCluster, role: string, password: string, database: string): string {
  return `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${cluster.port}/${database}`;
}

export async function createRestrictedSetup(cluster: EmbeddedCluster, passwordOf: (role: string) => string): Promise<RestrictedSetup> {
  const admin = new pg.Client(cluster.url());
  await admin.connect();
  const legacyRole = 'pgcarve_legacy';
  const env: Record<string, string> = { PGCARVE_SLOT: 'pgcarve_lp', PGCARVE_PUBLICATION: 'pgcarve_lp', PGCARVE_LOG_LEVEL: 'warn', PGCARVE_HTTP_PORT: '0' };
  const passwords: string[] = [];
  try {
    await admin.query('CREATE DATABASE legacy');
    const legacyPassword = passwordOf(legacyRole);
    passwords.push(legacyPassword);
    await admin.query(`CREATE ROLE ${legacyRole} LOGIN REPLICATION PASSWORD ${admin.escapeLiteral(legacyPassword)}`);
    const legacy = new pg.Client(cluster.url('legacy'));
    await legacy.connect();
    try {
      await legacy.query(legacySchemaSql());
      const list = MAPPED_TABLES.map((t) => `public.${legacy.escapeIdentifier(t)}`).join(', ');
      // The documented grants: SELECT on the mapped tables, and the publication made by their owner.
      await legacy.query(`GRANT SELECT ON ${list} TO ${legacyRole}`);
      await legacy.query(`CREATE PUBLICATION pgcarve_lp FOR TABLE ${list}`);
    } finally {
      await legacy.end();
    }
    env.DATABASE_URL_LEGACY = roleUrl(cluster, legacyRole, legacyPassword, 'legacy');
    for (const service of SERVICES) {
      const role = `${service}_owner`;
      const password = passwordOf(role);
      passwords.push(password);
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${admin.escapeLiteral(password)}`);
      await admin.query(`CREATE DATABASE ${service} OWNER ${role}`);
      env[SERVICE_URL_KEYS[service as ServiceName]] = roleUrl(cluster, role, password, service);
    }
  } finally {
    await admin.end();
  }
  return { legacyRole, legacyAdminUrl: cluster.url('legacy'), env, passwords };
}
