import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { runCli } from './operator-fixture.js';

let dbs: TestDatabases;
let running: RunningSidecar | undefined;

beforeAll(async () => {
  dbs = await createTestDatabases();
});
afterAll(async () => {
  await running?.stop();
  await dbs?.drop();
});

const stoppedMessage = (service: string): string | undefined => {
  const state = running?.sidecar.writers.find((w) => w.service === service)?.state;
  return state?.kind === 'stopped' ? state.error.message : undefined;
};

describe('a target table dropped under a running sidecar', () => {
  it('stops the writer saying to run `pgcarve migrate`; migrate recreates the table; the restart applies the change', async () => {
    running = await startSidecar(dbs);
    await query(dbs.serviceUrls.user_db, 'DROP TABLE roles');
    await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (4242, 'after the drop')`);
    const message = await waitFor('user_db to stop', () => stoppedMessage('user_db'));
    expect(message).toMatch(/user_db\.public\.roles .*relation "roles" does not exist: run `pgcarve migrate`/);
    expect(message).not.toContain('after the drop');

    const migrate = await runCli(['migrate'], dbs.env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain('user_db: recreated public.roles from the migrations (dropped after they ran); they are empty: restart `pgcarve run`, then run `pgcarve backfill --service user_db`');
    expect(migrate.stdout).not.toMatch(/user_db: already at the latest migration/);
    const constraint = await query<{ deferrable: string }>(dbs.serviceUrls.user_db, `SELECT is_deferrable AS deferrable FROM information_schema.table_constraints WHERE table_name = 'roles' AND constraint_name = 'roles_name_unique'`);
    expect(constraint).toEqual([{ deferrable: 'YES' }]);

    await running.stop();
    running = await startSidecar(dbs);
    await running.sync();
    expect(await query(dbs.serviceUrls.user_db, 'SELECT id, name FROM roles WHERE id = 4242')).toEqual([{ id: 4242, name: 'after the drop' }]);
    const again = await runCli(['migrate'], dbs.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('user_db: already at the latest migration');
  });

  it('a dropped column: migrate names it, says what to do, and exits 3', async () => {
    await running?.stop();
    running = undefined;
    await query(dbs.serviceUrls.user_db, 'ALTER TABLE user_profiles DROP COLUMN bio');
    const migrate = await runCli(['migrate', '--json'], dbs.env);
    expect(migrate.code).toBe(3);
    const report = JSON.parse(migrate.stdout) as { ok: boolean; services: { service: string; ok: boolean; schemaProblems?: string[] }[] };
    expect(report.ok).toBe(false);
    expect(report.services.find((s) => s.service === 'user_db')).toMatchObject({ ok: false, schemaProblems: ['missing column public.user_profiles.bio'] });
    const text = await runCli(['migrate'], dbs.env);
    expect(text.code).toBe(3);
    expect(text.stderr).toContain('user_db: DOES NOT MATCH its migrations (2 recorded as applied): missing column public.user_profiles.bio.');
    expect(text.stderr).toContain('drop the database');
    await query(dbs.serviceUrls.user_db, 'ALTER TABLE user_profiles ADD COLUMN bio text');
    expect((await runCli(['migrate'], dbs.env)).code).toBe(0);
  });
});
