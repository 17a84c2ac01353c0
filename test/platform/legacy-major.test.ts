import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { query } from '../streaming/sidecar-fixture.js';

/**
 * The harness does what the legacy-pg* projects of vitest.config.ts promise: with
 * PGCARVE_TEST_LEGACY_MAJOR the legacy database runs that major, the targets the shared 17.
 */
let dbs: TestDatabases;

beforeAll(async () => {
  dbs = await createTestDatabases();
});
afterAll(async () => {
  await dbs?.drop();
});

async function major(url: string): Promise<number> {
  const [row] = await query<{ v: string }>(url, `SELECT current_setting('server_version_num') AS v`);
  return Math.floor(Number(row?.v) / 10_000);
}

it('runs the legacy database on PGCARVE_TEST_LEGACY_MAJOR and the targets on PostgreSQL 17', async () => {
  const wanted = process.env.PGCARVE_TEST_LEGACY_MAJOR;
  expect(await major(dbs.legacyUrl)).toBe(wanted ? Number(wanted) : 17);
  for (const url of Object.values(dbs.serviceUrls)) expect(await major(url)).toBe(17);
});
