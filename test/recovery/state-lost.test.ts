import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';

/**
 * A target that loses pgcarve's state while the sidecar runs (its pgcarve schema dropped, the
 * database recreated) must not be streamed into from an in-process reconnect as if nothing
 * happened: the rows before that point would be missing for good. The writer stops and says to
 * restart, where the backfill copies what the database is owed (test/backfill/lost-state.test.ts).
 */
let dbs: TestDatabases;
let running: RunningSidecar;

beforeEach(async () => {
  dbs = await createTestDatabases();
  running = await startSidecar(dbs);
});
afterEach(async () => {
  await running?.stop();
  await dbs?.drop();
});

it('a writer whose checkpoint disappeared while running stops instead of streaming over the hole', async () => {
  await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (1, 'before')`);
  await running.sync();
  await query(dbs.serviceUrls.user_db, 'DROP SCHEMA pgcarve CASCADE; TRUNCATE roles CASCADE');
  await query(dbs.adminUrl, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [new URL(dbs.serviceUrls.user_db).pathname.slice(1)]);
  await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (2, 'after')`);
  const writer = running.sidecar.writers.find((w) => w.service === 'user_db');
  const message = await waitFor('user_db to stop', () => (writer?.state.kind === 'stopped' ? writer.state.error : undefined));
  expect(message.kind).toBe('target_state_lost');
  expect(message.message).toMatch(/user_db: its checkpoint is at 0\/0, below .*restart pgcarve/);
  expect(running.sidecar.ready()).toBe(false);
  // Nothing was streamed into the emptied table.
  expect(await query(dbs.serviceUrls.user_db, 'SELECT id FROM roles')).toEqual([]);
});
