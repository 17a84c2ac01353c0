import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli } from './harness/run-cli.js';
import { SERVICE_URL_KEYS, SERVICES } from '../mappings/services.js';
import { freePort } from '../tools/embedded/embedded-cluster.js';
import { databaseUrl } from './harness/databases.js';

const adminUrl = inject('pgAdminUrl');
const created: string[] = [];

function envFor(prefix: string, base = adminUrl): Record<string, string> {
  const env: Record<string, string> = { DATABASE_URL_LEGACY: databaseUrl(base, 'postgres') };
  for (const service of SERVICES) {
    const name = `${prefix}_${service}`;
    created.push(name);
    env[SERVICE_URL_KEYS[service]] = databaseUrl(base, name);
  }
  return env;
}

async function run(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, env).then((r) => { out += r.stdout; err += r.stderr; return r.code; });
  return { code, out, err };
}

afterAll(async () => {
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe('pgcarve migrate', () => {
  it('creates the five databases, then is a no-op', async () => {
    const env = envFor(`m${randomBytes(4).toString('hex')}`);
    const first = await run(['migrate', '--json'], env);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.out) as { ok: boolean; services: { service: string; databaseCreated: boolean; migrationsApplied: number; migrationsTotal: number }[] };
    expect(report.ok).toBe(true);
    expect(report.services.map((s) => s.service)).toEqual([...SERVICES]);
    for (const s of report.services) {
      expect(s.databaseCreated).toBe(true);
      expect(s.migrationsApplied).toBe(s.migrationsTotal);
      expect(s.migrationsTotal).toBeGreaterThan(0);
    }
    const second = await run(['migrate', '--json'], env);
    expect(second.code).toBe(0);
    const again = JSON.parse(second.out) as typeof report;
    for (const s of again.services) {
      expect(s.databaseCreated).toBe(false);
      expect(s.migrationsApplied).toBe(0);
    }
  });

  it('run twice concurrently: both succeed, each migration applied once', async () => {
    const env = envFor(`c${randomBytes(4).toString('hex')}`);
    const [a, b] = await Promise.all([run(['migrate', '--json'], env), run(['migrate', '--json'], env)]);
    expect([a.code, b.code, a.err, b.err]).toEqual([0, 0, '', '']);
    const ra = JSON.parse(a.out) as { services: { migrationsApplied: number; migrationsTotal: number }[] };
    const rb = JSON.parse(b.out) as typeof ra;
    ra.services.forEach((s, i) => {
      expect(s.migrationsApplied + (rb.services[i]?.migrationsApplied ?? -1)).toBe(s.migrationsTotal);
    });
  });

  it('says clearly when the server is unreachable, exit 3', async () => {
    const port = await freePort();
    const env = envFor('unreachable', `postgres://postgres@127.0.0.1:${port}/postgres`);
    const result = await run(['migrate'], env);
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/user_db: FAILED \(connection_lost\): cannot connect to the server of unreachable_user_db \(through its database "postgres", to create unreachable_user_db\) \(DATABASE_URL_USER_SERVICE\) at 127\.0\.0\.1:\d+, database postgres, user postgres: nothing answers there \(ECONNREFUSED\); check the host and port in DATABASE_URL_USER_SERVICE/);
  });

  it('says what privilege is missing, exit 3, without printing the password', async () => {
    const admin = new pg.Client(adminUrl);
    await admin.connect();
    const role = `nocreate_${randomBytes(3).toString('hex')}`;
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'hunter2' NOCREATEDB`);
    await admin.end();
    const base = new URL(adminUrl);
    base.username = role;
    base.password = 'hunter2';
    const env = envFor(`p${randomBytes(4).toString('hex')}`, base.toString());
    const result = await run(['migrate'], env);
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/may not create database .*_user_db: create it as a superuser .* or grant CREATEDB/);
    expect(result.err).not.toContain('hunter2');
  });

  it('rejects bad configuration with exit 2, listing every problem', async () => {
    const result = await run(['migrate'], { DATABASE_URL_LEGACY: 'nope', PGCARVE_SLOT: 'Bad' });
    expect(result.code).toBe(2);
    expect(result.err).toContain('DATABASE_URL_LEGACY: is not a URL');
    expect(result.err).toContain('DATABASE_URL_USER_SERVICE: is required but not set');
    expect(result.err).toContain('PGCARVE_SLOT: must match');
  });
});
