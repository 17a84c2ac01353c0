import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from './harness/run-cli.js';
import { createTestDatabases, type TestDatabases } from './harness/databases.js';
import { query } from './streaming/sidecar-fixture.js';

/**
 * A service database whose pgcarve schema was dropped keeps its tables: `pgcarve migrate` records
 * the migrations again without running them (running them would fail on the existing tables),
 * and says the database is at the latest migration.
 */
let dbs: TestDatabases;
beforeAll(async () => {
  dbs = await createTestDatabases();
});
afterAll(async () => {
  await dbs?.drop();
});

it('migrate after the pgcarve schema was dropped records the journal again and keeps the rows', async () => {
  await query(dbs.serviceUrls.document_db, `INSERT INTO document_types (code, name) VALUES ('kept', 'Kept'); DROP SCHEMA pgcarve CASCADE`);
  let out = '';
  const code = await runCli(['migrate'], { ...dbs.env }).then((r) => { out += r.stdout; out += r.stderr; return r.code; });
  expect(code, out).toBe(0);
  expect(out).toMatch(/document_db: .*latest/);
  expect(await query(dbs.serviceUrls.document_db, `SELECT code FROM document_types`)).toEqual([{ code: 'kept' }]);
  const again = await runCli(['migrate'], { ...dbs.env }).then((r) => { return r.code; });
  expect(again).toBe(0);
});
