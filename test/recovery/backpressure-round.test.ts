import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseLsn } from '../../src/lsn.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';

/**
 * Issue 12, found 1: a transient failure while the router waits on a full writer queue must end
 * the round like a crash. The old round's waiting commit must never reach the next round's queues
 * (where a writer would take it as an empty committed transaction and move past lost changes).
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

/** The backend of a connection to `url`'s database waiting on a lock (other than `except`). */
async function lockWaiter(url: string, except: number): Promise<number | undefined> {
  const rows = await query<{ pid: number }>(
    url,
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1 AND pid <> pg_backend_pid()`,
    [except],
  );
  return rows[0]?.pid;
}

it('a writer terminated while the router waits on its full queue loses nothing', async () => {
  // PGCARVE_TARGET_STALL_SECONDS (a slow target falls behind alone) is kept far beyond this test
  // so that the router really waits on backpressure; environment keys a version does not know are
  // ignored.
  running = await startSidecar(dbs, { PGCARVE_TARGET_STALL_SECONDS: '600' });
  await query(dbs.legacyUrl, `INSERT INTO scraper_tasks (url, kind, status) VALUES ('first', 'k', 's')`);
  await running.sync(60_000);

  const locker = new pg.Client(dbs.serviceUrls.scraper_db);
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE scraper_tasks IN ACCESS EXCLUSIVE MODE');
    const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid ?? 0;

    const legacy = new pg.Client(dbs.legacyUrl);
    await legacy.connect();
    try {
      for (let i = 0; i < 300; i++) {
        await legacy.query(`INSERT INTO scraper_tasks (url, kind, status) SELECT 'u' || g, 'k', 's' FROM generate_series(1, 100) AS g`);
      }
    } finally {
      await legacy.end();
    }
    const [end] = await query<{ lsn: string }>(dbs.legacyUrl, 'SELECT pg_current_wal_insert_lsn()::text AS lsn');
    const endLsn = parseLsn(end?.lsn ?? '0/0');

    // The scraper writer waits on the lock with a piece in its open transaction; its queue fills and
    // the router waits, so every other service stops moving short of the last commit.
    const sidecar = running.sidecar;
    const userPosition = (): bigint => sidecar.snapshot().services.find((s) => s.service === 'user_db')?.appliedLsn ?? 0n;
    let last = -1n;
    let since = Date.now();
    const blocked = await waitFor(
      'the scraper_db writer to wait on the lock and the router on backpressure',
      async () => {
        const pid = await lockWaiter(dbs.serviceUrls.scraper_db, lockerPid);
        const position = userPosition();
        if (position !== last) {
          last = position;
          since = Date.now();
          return false;
        }
        return pid !== undefined && position < endLsn && Date.now() - since > 3_000 ? pid : false;
      },
      180_000,
      200,
    );

    await query(dbs.serviceUrls.scraper_db, 'SELECT pg_terminate_backend($1)', [blocked]);
    await locker.query('ROLLBACK');
  } finally {
    await locker.end();
  }

  await running.sync(180_000);
  expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);

  // A restart from the durable checkpoints must not find a hole either.
  await running.stop();
  running = await startSidecar(dbs, { PGCARVE_TARGET_STALL_SECONDS: '600' });
  await running.sync(180_000);
  expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
}, 600_000);
