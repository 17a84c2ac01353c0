import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { query, startSidecar, type RunningSidecar } from './sidecar-fixture.js';

let dbs: TestDatabases;
let running: RunningSidecar;

beforeAll(async () => {
  dbs = await createTestDatabases();
  running = await startSidecar(dbs);
});
afterAll(async () => {
  await running?.stop();
  await dbs?.drop();
});

describe('streaming smoke', () => {
  it('applies an insert into roles', async () => {
    await query(dbs.legacyUrl, `INSERT INTO roles (name, permissions, created_at) VALUES ('admin', '["all"]', '2024-01-02 03:04:05.123456')`);
    await running.sync();
    const rows = await query(dbs.serviceUrls.user_db, 'SELECT id, name, permissions::text, created_at::text FROM roles');
    expect(rows).toEqual([{ id: 1, name: 'admin', permissions: '["all"]', created_at: '2024-01-02 03:04:05.123456+00' }]);
  });
});
