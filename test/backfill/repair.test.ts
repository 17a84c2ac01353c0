import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backfill } from '../../src/backfill/backfill.js';
import { runCli } from '../harness/run-cli.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { allStates } from './backfill-fixture.js';
import { startWorkload, type Workload } from './legacy-workload.js';
import { seedLegacy } from './seed-legacy.js';

/**
 * `pgcarve backfill` repairs target rows that were deleted, corrupted or added behind pgcarve's
 * back, while the sidecar streams and a workload keeps writing to the very tables being repaired.
 */
let dbs: TestDatabases;
let running: RunningSidecar | undefined;
let workload: Workload | undefined;

beforeAll(async () => {
  dbs = await createTestDatabases();
  await seedLegacy(dbs.legacyUrl, 1_500);
  const config = loadConfig(dbs.env);
  running = await startSidecar(dbs, {}, { backfill: new Backfill({ config, log: silentLogger }) });
});
afterAll(async () => {
  await workload?.stop().catch(() => undefined);
  await running?.stop();
  await dbs?.drop();
});

async function pgcarve(...args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await runCli(args, { ...dbs.env }).then((r) => { out += r.stdout; out += r.stderr; return r.code; });
  return { code, out };
}

describe('pgcarve backfill under a live workload', () => {
  it('restores deleted, corrupted and extra target rows of one table, and of one service', async () => {
    await running?.sync();
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
    workload = startWorkload(dbs.legacyUrl, 23);
    await workload.after(10);

    // Damage document_db (owned rows of all three owned tables, a reference row) and scraper_db.
    await query(
      dbs.serviceUrls.document_db,
      `DELETE FROM documents WHERE id % 17 = 0;
       UPDATE documents SET title = 'corrupt', size_bytes = -1 WHERE id % 13 = 0;
       INSERT INTO documents (id, title, document_type_code) VALUES (1000000000001, 'extra', 'x'), (2, 'extra for an existing key', 'x') ON CONFLICT (id) DO UPDATE SET title = 'overwritten';
       DELETE FROM user_documents WHERE document_id % 7 = 0;
       INSERT INTO user_documents (document_id, user_id) SELECT id, 1 FROM document_templates WHERE id % 20 = 0 ON CONFLICT DO NOTHING;
       INSERT INTO user_documents (document_id, user_id) VALUES (5000000000000, 1);
       UPDATE document_templates SET fields = '{"corrupt": true}' WHERE id % 30 = 0;
       DELETE FROM document_types WHERE code = 'passport';`,
    );
    await query(
      dbs.serviceUrls.scraper_db,
      `DELETE FROM activity_logs WHERE id % 11 = 0;
       UPDATE activity_logs SET details = '{"corrupt": 1}', created_at = now() WHERE id % 19 = 0;
       INSERT INTO activity_logs (id, action, entity) SELECT id, 'leaked', 'user' FROM generate_series(2, 200, 5) id ON CONFLICT DO NOTHING;
       UPDATE scraper_results SET content = 'corrupt' WHERE id % 3 = 0;
       DELETE FROM scraper_tasks WHERE id % 4 = 0;`,
    );
    // (The workload goes on, so other tables may lag behind here: only the damage is checked.)
    const damaged = await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls);
    expect(damaged.map((m) => `${m.service}.${m.table}`)).toEqual(
      expect.arrayContaining(['document_db.document_templates', 'document_db.documents', 'document_db.user_documents', 'scraper_db.activity_logs', 'scraper_db.scraper_results', 'scraper_db.scraper_tasks']),
    );

    const documents = await pgcarve('backfill', '--table', 'documents', '--chunk-rows', '700', '--timeout', '60');
    expect(documents.out).toMatch(/documents → document_db: \d+ rows in \d+ chunk\(s\), \d+ extra target row\(s\) deleted, applied/);
    expect(documents.code).toBe(0);
    const scraper = await pgcarve('backfill', '--service', 'scraper_db', '--timeout', '60');
    expect(scraper.code, scraper.out).toBe(0);
    expect(scraper.out.split('\n').filter((l) => l.includes('→ scraper_db')).length).toBe(4);

    await workload.after(20);
    await workload.stop();
    await running?.sync();
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);

    const states = await allStates(dbs);
    expect(states.get('document_db.documents')).toMatchObject({ kind: 'copied', attempts: 2 });
    expect(states.get('scraper_db.activity_logs')).toMatchObject({ kind: 'copied', attempts: 2 });
    expect(states.get('user_db.users')).toMatchObject({ kind: 'copied', attempts: 1 });
  });

  it('refuses what it cannot do, and says why', async () => {
    expect((await pgcarve('backfill')).code).toBe(2);
    expect((await pgcarve('backfill', '--table', 'sessions')).out).toMatch(/not migrated/);
    expect((await pgcarve('backfill', '--service', 'nope')).code).toBe(2);
    expect((await pgcarve('backfill', '--service', 'user_db', '--table', 'documents')).out).toMatch(/writes to document_db, not to user_db/);
    await query(dbs.serviceUrls.user_db, `UPDATE pgcarve.backfill SET state = 'copying' WHERE slot = $1 AND source_table = 'roles'`, [dbs.slot]);
    const refused = await pgcarve('backfill', '--table', 'roles');
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/initial backfill of roles in user_db is not finished/);
    await query(dbs.serviceUrls.user_db, `UPDATE pgcarve.backfill SET state = 'copied' WHERE slot = $1 AND source_table = 'roles'`, [dbs.slot]);
  });
});
