import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Backfill } from '../../src/backfill/backfill.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';

/**
 * Issue 12, found 3: the first start on empty legacy tables. A transaction open while pgcarve checks
 * the tables and committed while CREATE_REPLICATION_SLOT waits for it (before the slot's consistent
 * point) must reach the targets: it is neither in an empty copy nor in the stream unless pgcarve
 * copies what the slot's snapshot sees.
 */
let dbs: TestDatabases;
let running: RunningSidecar | undefined;

beforeAll(async () => {
  dbs = await createTestDatabases();
});
afterAll(async () => {
  await running?.stop();
  await dbs?.drop();
});

it('a transaction committed while the slot is being created is applied', async () => {
  const early = new pg.Client(dbs.legacyUrl);
  await early.connect();
  let starting: Promise<RunningSidecar> | undefined;
  try {
    await early.query('BEGIN');
    await early.query(`INSERT INTO roles (id, name) VALUES (1, 'early')`);
    const xid = (await early.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]?.xid ?? '';

    const config = loadConfig(dbs.env);
    starting = startSidecar(dbs, {}, { backfill: new Backfill({ config, log: silentLogger }) });
    let startFailure: unknown;
    starting.catch((error: unknown) => (startFailure = error));

    // CREATE_REPLICATION_SLOT waits for the transactions running when it began: for ours.
    await waitFor(
      'CREATE_REPLICATION_SLOT to wait for the open transaction',
      async () => {
        if (startFailure) throw startFailure;
        const waiting = await query(
          dbs.legacyUrl,
          `SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE NOT l.granted AND l.locktype = 'transactionid' AND l.transactionid::text = $1 AND a.backend_type = 'walsender'`,
          [xid],
        );
        return waiting.length > 0;
      },
      120_000,
    );
    await early.query('COMMIT');
  } finally {
    await early.end();
  }
  running = await (starting as Promise<RunningSidecar>);
  await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (2, 'late')`);
  await running.sync(120_000);
  const roles = await query<{ id: number; name: string }>(dbs.serviceUrls.user_db, 'SELECT id, name FROM roles ORDER BY id');
  expect(roles).toEqual([
    { id: 1, name: 'early' },
    { id: 2, name: 'late' },
  ]);
}, 300_000);
