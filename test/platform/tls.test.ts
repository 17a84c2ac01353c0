import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../tools/embedded/embedded-cluster.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { query } from '../streaming/sidecar-fixture.js';
import { failedSteps, fullRun, pgcarve } from './full-run.js';
import { createTestCertificates, type TestCertificates } from './tls-certificates.js';

/**
 * TLS from the URLs: a server with ssl=on, a certificate signed by a CA made here, and a
 * pg_hba.conf that accepts TLS connections only (`hostssl`), so that any connection pgcarve opened
 * without TLS (the replication connection included) would be refused.
 */
let certs: TestCertificates;
let cluster: EmbeddedCluster;
let dbs: TestDatabases;

const HBA = `local all all trust
hostssl all all 127.0.0.1/32 trust
hostssl replication all 127.0.0.1/32 trust
`;

beforeAll(async () => {
  certs = createTestCertificates();
  cluster = await EmbeddedCluster.create({
    name: 'tls',
    settings: { ssl: 'on' },
    files: { 'server.crt': certs.serverCert, 'server.key': certs.serverKey, 'pg_hba.conf': HBA },
    urlQuery: `sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.caFile)}`,
  });
  dbs = await createTestDatabases({ adminUrl: cluster.url() });
});
afterAll(async () => {
  await dbs?.drop();
  await cluster?.destroy();
  certs?.remove();
});

function withQuery(url: string, query: string): string {
  const parsed = new URL(url);
  parsed.search = query;
  return parsed.toString();
}

describe('TLS (sslmode and sslrootcert in the URLs)', () => {
  it('the server refuses a connection without TLS', async () => {
    const client = new pg.Client({ connectionString: withQuery(dbs.legacyUrl, 'sslmode=disable') });
    await expect(client.connect()).rejects.toThrow(/no pg_hba.conf entry .* no encryption/);
  });

  it('migrate, run (backfill and the replication stream), wait-sync, verify and status all connect with sslmode=verify-full', async () => {
    const steps = await fullRun(dbs.env, async () => {
      await query(dbs.legacyUrl, `INSERT INTO roles (name, permissions, created_at) VALUES ('tls', '[]', now())`);
    }, async () => {
      // Every session of pgcarve's, the walsender of its slot included, is encrypted.
      const sessions = await query<{ backend_type: string; ssl: boolean }>(
        dbs.adminUrl,
        `SELECT a.backend_type, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.backend_type = 'walsender' AND a.datname = $1`,
        [new URL(dbs.legacyUrl).pathname.slice(1)],
      );
      expect(sessions.length).toBeGreaterThan(0);
      expect(sessions.every((s) => s.ssl)).toBe(true);
    });
    expect(failedSteps(steps)).toBe('');
    const rows = await query<{ name: string }>(dbs.serviceUrls.user_db, `SELECT name FROM roles WHERE name = 'tls'`);
    expect(rows).toEqual([{ name: 'tls' }]);
  }, 300_000);

  it('a CA that did not sign the server certificate fails with exit 3 and says what to check', async () => {
    const env = { ...dbs.env, DATABASE_URL_LEGACY: withQuery(dbs.legacyUrl, `sslmode=verify-full&sslrootcert=${encodeURIComponent(certs.wrongCaFile)}`) };
    const step = await pgcarve(['verify'], env);
    expect(step.code, step.output).toBe(3);
    expect(step.output).toMatch(/certificate/i);
    expect(step.output).toMatch(/sslrootcert/);
    expect(step.output).toMatch(/DATABASE_URL_LEGACY|legacy/);
    expect(step.output).not.toMatch(/internal error|\n\s+at /);
  }, 120_000);
});
