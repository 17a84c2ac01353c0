import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCluster } from '../../tools/embedded/embedded-cluster.js';
import { createTestDatabases, databaseUrl, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query } from '../streaming/sidecar-fixture.js';
import { legacyFootprint, runCli, secretsIn } from './operator-fixture.js';

/**
 * `pgcarve run` refuses to start on targets or a legacy server it cannot use, before it creates
 * anything on the legacy side, and says what is wrong and what to do, naming the key, the host and
 * the database, never a password.
 */
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function fresh(options: { readonly adminUrl?: string; readonly migrated?: boolean } = {}): Promise<TestDatabases> {
  const dbs = await createTestDatabases(options);
  cleanup.push(() => dbs.drop());
  return dbs;
}

function withUser(url: string, user: string, password?: string): string {
  const parsed = new URL(url);
  parsed.username = user;
  if (password !== undefined) parsed.password = password;
  return parsed.toString();
}

describe('the service databases are checked first', () => {
  it('run before migrate: says to run `pgcarve migrate`, creates nothing on the legacy side', async () => {
    const dbs = await fresh({ migrated: false });
    const result = await runCli(['run'], dbs.env);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('run `pgcarve migrate`');
    expect(result.stderr).toMatch(/cannot connect to user_db \(DATABASE_URL_USER_SERVICE\) at 127\.0\.0\.1:\d+, database t\w+_user_db, user postgres: database t\w+_user_db does not exist there/);
    expect(result.stderr.split('\n').filter((l) => l.includes('does not exist there'))).toHaveLength(5);
    expect(await legacyFootprint(dbs)).toEqual({ slot: false, publication: false });
  });

  it('a migrated database that lost a table: names it and says to run `pgcarve migrate`', async () => {
    const dbs = await fresh();
    await query(dbs.serviceUrls.document_db, 'DROP TABLE documents');
    const result = await runCli(['run'], dbs.env);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('document_db (DATABASE_URL_DOCUMENT_SERVICE) is not migrated: missing table public.documents: run `pgcarve migrate`');
    expect(await legacyFootprint(dbs)).toEqual({ slot: false, publication: false });
  });

  it('an unreachable service database: names the key, host and database and what to check', async () => {
    const dbs = await fresh();
    const result = await runCli(['run'], { ...dbs.env, DATABASE_URL_SCRAPER_SERVICE: 'postgres://scraper:hunter2-secret@127.0.0.1:1/scraper_db' });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('cannot connect to scraper_db (DATABASE_URL_SCRAPER_SERVICE) at 127.0.0.1:1, database scraper_db, user scraper: nothing answers there (ECONNREFUSED); check the host and port in DATABASE_URL_SCRAPER_SERVICE');
    expect(secretsIn(result, dbs.env, ['hunter2-secret'])).toEqual([]);
    expect(await legacyFootprint(dbs)).toEqual({ slot: false, publication: false });
  });

  it('an unknown legacy database: names DATABASE_URL_LEGACY and the database', async () => {
    const dbs = await fresh();
    const result = await runCli(['run'], { ...dbs.env, DATABASE_URL_LEGACY: databaseUrl(dbs.adminUrl, 'no_such_monolith') });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/cannot connect to the legacy database \(DATABASE_URL_LEGACY\) at 127\.0\.0\.1:\d+, database no_such_monolith, user postgres: database no_such_monolith does not exist there; check the database name at the end of DATABASE_URL_LEGACY/);
  });
});

describe('the legacy server and role are checked before the publication and slot', () => {
  let cluster: EmbeddedCluster;
  let dbs: TestDatabases;
  beforeAll(async () => {
    // No replication slots at all; and password authentication for one role.
    cluster = await EmbeddedCluster.create({ name: 'noslots', settings: { max_replication_slots: '0' } });
    cleanup.push(() => cluster.destroy());
    const hba = join(cluster.dataDir, 'pg_hba.conf');
    writeFileSync(hba, `host all pw_role 127.0.0.1/32 scram-sha-256\n${readFileSync(hba, 'utf8')}`);
    await query(cluster.url(), `CREATE ROLE pw_role LOGIN PASSWORD 'the-right-password-42'`);
    await query(cluster.url(), 'SELECT pg_reload_conf()');
    await waitFor('the pg_hba.conf rule', async () => (await query<{ n: number }>(cluster.url(), `SELECT count(*)::int AS n FROM pg_hba_file_rules WHERE 'pw_role' = ANY(user_name)`))[0]?.n === 1);
    dbs = await createTestDatabases({ adminUrl: cluster.url() });
  });

  it('a wrong password: names the key, host, database and user, never the password', async () => {
    const env = { ...dbs.env, DATABASE_URL_AI_RESEARCH_SERVICE: withUser(dbs.serviceUrls.ai_research_db, 'pw_role', 'a-wrong-password-17') };
    await waitFor('password authentication in force', async () => {
      const result = await runCli(['run'], env);
      return result.stderr.includes('password was rejected') ? result : undefined;
    }).then((result) => {
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toMatch(/cannot connect to ai_research_db \(DATABASE_URL_AI_RESEARCH_SERVICE\) at 127\.0\.0\.1:\d+, database t\w+_ai_research_db, user pw_role: the password was rejected; check the user and password in DATABASE_URL_AI_RESEARCH_SERVICE/);
      expect(secretsIn(result, env, ['a-wrong-password-17', 'the-right-password-42'])).toEqual([]);
    });
    expect(await legacyFootprint(dbs)).toEqual({ slot: false, publication: false });
  });

  it('max_replication_slots = 0: names the setting and the statement', async () => {
    const result = await runCli(['run'], dbs.env);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/max_replication_slots is 0 on the legacy server \(127\.0\.0\.1:\d+\): .*run ALTER SYSTEM SET max_replication_slots = 10; and restart PostgreSQL/);
    expect(await legacyFootprint(dbs)).toEqual({ slot: false, publication: false });
  });
});

describe('a legacy role without REPLICATION', () => {
  it('names the role, the attribute and ALTER ROLE … REPLICATION, before anything is created', async () => {
    const dbs = await fresh();
    const role = `norepl_${dbs.slot.slice(5)}`;
    await query(dbs.adminUrl, `CREATE ROLE ${role} LOGIN`);
    cleanup.push(async () => void (await query(dbs.adminUrl, `DROP ROLE IF EXISTS ${role}`).catch(() => undefined)));
    await query(dbs.legacyUrl, `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    cleanup.push(async () => void (await query(dbs.legacyUrl, `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`).catch(() => undefined)));
    const result = await runCli(['run'], { ...dbs.env, DATABASE_URL_LEGACY: withUser(dbs.legacyUrl, role) });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`the legacy role ${role} may not open a replication connection (DATABASE_URL_LEGACY, 127.0.0.1:`);
    expect(result.stderr).toContain(`role ${role} has no REPLICATION attribute; run ALTER ROLE "${role}" REPLICATION; as a superuser`);
    expect(await legacyFootprint(dbs)).toEqual({ slot: false, publication: false });
  });
});
