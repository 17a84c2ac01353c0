import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitFence, waitForFence } from '../../src/fence.js';
import { loadConfig } from '../../src/config/config.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { spawnPgcarve, type PgcarveProcess } from '../harness/pgcarve-process.js';
import { query, startSidecar } from './sidecar-fixture.js';

/**
 * kill -9 of the sidecar at random points while a workload runs, many times: every source
 * transaction must be applied exactly once in every target. A trigger on the target audits every
 * write of activity_logs in the same target transaction, so a replayed insert would show up twice
 * and a lost one not at all.
 */
let dbs: TestDatabases;
const TRANSACTIONS = 3000;

beforeAll(async () => {
  dbs = await createTestDatabases();
  // Create the slot while the legacy tables are empty (no backfill needed).
  await (await startSidecar(dbs)).stop();
  await query(dbs.legacyUrl, `INSERT INTO free_zones (id, slug, name, emirate) VALUES (1, 'z', 'Z', 'Dubai'); INSERT INTO scraper_tasks (id, url, free_zone_id, kind, status) VALUES (1, 'http://x', 1, 'k', '0')`);
  await query(
    dbs.serviceUrls.scraper_db,
    `CREATE TABLE audit (id bigint NOT NULL, op text NOT NULL);
     CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id, TG_OP); RETURN NEW; END $$;
     CREATE TRIGGER audit AFTER INSERT OR UPDATE ON activity_logs FOR EACH ROW EXECUTE FUNCTION audit();`,
  );
});
afterAll(async () => {
  await dbs?.drop();
});

async function workload(from: number, to: number): Promise<void> {
  const client = new pg.Client(dbs.legacyUrl);
  await client.connect();
  for (let i = from; i <= to; i += 1) {
    await client.query('BEGIN');
    await client.query(`UPDATE scraper_tasks SET status = (status::int + 1)::text WHERE id = 1`);
    await client.query(`INSERT INTO activity_logs (actor_user_id, action, entity, entity_id) VALUES ($1, 'tick', 'scraper_task', '1')`, [i]);
    // Some transactions also touch another service, some are bigger.
    if (i % 5 === 0) await client.query(`INSERT INTO roles (name) VALUES ($1)`, [`r${i}`]);
    if (i % 50 === 0) await client.query(`INSERT INTO activity_logs (actor_user_id, action, entity) SELECT g, 'bulk', 'scraper_bulk' FROM generate_series(1, 300) g`);
    await client.query('COMMIT');
  }
  await client.end();
}

describe('kill -9 of the sidecar during a workload', () => {
  it('loses nothing and applies nothing twice', async () => {
    // A backlog first, so that kills land while batches are applied faster than they are
    // acknowledged; then more writes while the kills go on.
    await workload(1, (TRANSACTIONS * 5) / 6);
    const writes = workload((TRANSACTIONS * 5) / 6 + 1, TRANSACTIONS);
    let done = false;
    void writes.then(() => (done = true));
    let kills = 0;
    let movingKills = 0;
    let lastCheckpoint: string | undefined;
    let current: PgcarveProcess | undefined;
    while (!done || kills < 6 || movingKills < 3) {
      current = spawnPgcarve(['run'], dbs.env);
      const delay = 900 + Math.floor(Math.random() * 2000);
      const outcome = await Promise.race([current.exited, new Promise<'alive'>((r) => setTimeout(() => r('alive'), delay))]);
      if (outcome !== 'alive') throw new Error(`pgcarve run exited by itself (${outcome}):\n${current.output()}`);
      current.child.kill('SIGKILL');
      await current.exited;
      kills += 1;
      // Count the kills that landed while the scraper_db checkpoint was still moving (mid catch-up).
      const [row] = await query<{ lsn: string | null; behind: boolean }>(
        dbs.serviceUrls.scraper_db,
        `SELECT max(lsn)::text AS lsn FROM pgcarve.checkpoint`,
      );
      if (row?.lsn && row.lsn !== lastCheckpoint) {
        movingKills += lastCheckpoint === undefined ? 0 : 1;
        lastCheckpoint = row.lsn;
      }
      if (process.env.PGCARVE_TEST_LOG) console.log(`kill ${kills} after ${delay} ms`);
      if (kills > 40) break;
    }
    await writes;
    // A last, undisturbed run catches up.
    const last = spawnPgcarve(['run'], dbs.env);
    try {
      const config = loadConfig(dbs.env);
      const fence = await emitFence(config.legacyUrl);
      const result = await waitForFence(config.serviceUrls, config.slot, fence, 60_000);
      expect(result.reached, last.output()).toBe(true);
      expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
      const [status] = await query<{ status: string }>(dbs.serviceUrls.scraper_db, 'SELECT status FROM scraper_tasks WHERE id = 1');
      expect(status?.status).toBe(String(TRANSACTIONS));
      const audit = await query<{ rows: number; distinct_ids: number; updates: number }>(dbs.serviceUrls.scraper_db, `SELECT count(*)::int AS rows, count(DISTINCT id)::int AS distinct_ids, count(*) FILTER (WHERE op = 'UPDATE')::int AS updates FROM audit`);
      const [legacyCount] = await query<{ n: number }>(dbs.legacyUrl, `SELECT count(*)::int AS n FROM activity_logs`);
      expect(legacyCount?.n).toBe(TRANSACTIONS + (TRANSACTIONS / 50) * 300);
      // Each legacy insert reached the target exactly once: no replay (no UPDATE, no duplicate), no loss.
      expect(audit[0]).toEqual({ rows: legacyCount?.n, distinct_ids: legacyCount?.n, updates: 0 });
      expect(kills).toBeGreaterThanOrEqual(6);
      expect(movingKills).toBeGreaterThanOrEqual(3);
    } finally {
      last.child.kill('SIGTERM');
      expect(await last.exited).toBe(0);
    }
  }, 300_000);
});
