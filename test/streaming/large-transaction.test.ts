import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { spawnPgcarve } from '../harness/pgcarve-process.js';
import { query, startSidecar } from './sidecar-fixture.js';
import { emitFence, waitForFence } from '../../src/fence.js';
import { loadConfig } from '../../src/config/config.js';

/**
 * A 1,000,000-row legacy transaction is applied in pieces inside one open target transaction:
 * the target is exact and the sidecar's peak RSS stays far below the size of the transaction.
 */
const ROWS = Number(process.env.PGCARVE_TEST_BIG_ROWS ?? 1_000_000);
let dbs: TestDatabases;

beforeAll(async () => {
  dbs = await createTestDatabases();
  await (await startSidecar(dbs)).stop();
});
afterAll(async () => {
  await dbs?.drop();
});

describe('a 1M-row transaction', () => {
  it('is applied whole, with bounded memory', async () => {
    const sidecar = spawnPgcarve(['run'], { ...dbs.env, PGCARVE_LOG_LEVEL: 'info' });
    try {
      await sidecar.httpPort;
      const baseline = sidecar.peakRss() ?? 0;
      await query(
        dbs.legacyUrl,
        `INSERT INTO activity_logs (actor_user_id, action, entity, entity_id, details, created_at)
         SELECT g, 'bulk', CASE WHEN g % 10 = 0 THEN 'user' ELSE 'scraper_bulk' END, g::text, jsonb_build_object('g', g, 'note', 'Ω'), timestamp '2024-01-01' + g * interval '1 microsecond'
           FROM generate_series(1, ${ROWS}) g`,
      );
      const config = loadConfig(dbs.env);
      const result = await waitForFence(config.serviceUrls, config.slot, await emitFence(config.legacyUrl), 240_000);
      expect(result.reached, sidecar.output()).toBe(true);
      const peak = sidecar.peakRss() ?? 0;
      const [counts] = await query<{ n: number; max_id: string; sample: string }>(
        dbs.serviceUrls.scraper_db,
        `SELECT count(*)::int AS n, max(id)::text AS max_id, (SELECT created_at::text || ' ' || details::text FROM activity_logs WHERE entity_id = '999999') AS sample FROM activity_logs`,
      );
      expect(counts?.n).toBe((ROWS * 9) / 10);
      expect(counts?.max_id).toBe(String(ROWS - 1));
      console.log(`1M-row transaction: baseline RSS ${(baseline / 2 ** 20).toFixed(0)} MiB, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
      expect(peak).toBeLessThan(300 * 2 ** 20);
    } finally {
      sidecar.child.kill('SIGTERM');
      await sidecar.exited;
    }
  }, 300_000);
});
