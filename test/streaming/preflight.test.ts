import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/run-cli.js';
import { EmbeddedCluster } from '../../tools/embedded/embedded-cluster.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { query } from './sidecar-fixture.js';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function run(env: Readonly<Record<string, string>>): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCli(['run'], env).then((r) => { err += r.stderr; return r.code; });
  return { code, err };
}

describe('pgcarve run refuses a legacy database it cannot stream from, saying what to do', () => {
  it('wal_level is not logical', async () => {
    const cluster = await EmbeddedCluster.create({ name: 'replica', settings: { wal_level: 'replica' } });
    cleanup.push(() => cluster.destroy());
    const dbs: TestDatabases = await createTestDatabases({ adminUrl: cluster.url() });
    const result = await run(dbs.env);
    expect(result.code).toBe(3);
    expect(result.err).toContain('wal_level is replica: set wal_level=logical in postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and restart PostgreSQL');
  });

  it('a mapped table without a primary key or REPLICA IDENTITY FULL', async () => {
    const dbs = await createTestDatabases();
    cleanup.push(() => dbs.drop());
    await query(dbs.legacyUrl, 'ALTER TABLE ai_training_data DROP CONSTRAINT ai_training_data_pkey');
    const result = await run(dbs.env);
    expect(result.code).toBe(3);
    expect(result.err).toContain('legacy table public.ai_training_data has no primary key: add one or run ALTER TABLE public.ai_training_data REPLICA IDENTITY FULL');
  });

  it('an unreachable legacy database', async () => {
    const dbs = await createTestDatabases();
    cleanup.push(() => dbs.drop());
    const result = await run({ ...dbs.env, DATABASE_URL_LEGACY: 'postgres://nobody:secret@127.0.0.1:1/legacy' });
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/cannot connect to the legacy database \(DATABASE_URL_LEGACY\)/);
    expect(result.err).not.toContain('secret');
  });
});
