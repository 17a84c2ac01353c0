import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CutoverReport } from '../../src/cutover/cutover.js';
import { describeChanges, LegacyChangeScan } from '../../src/cutover/legacy-change-scan.js';
import { sealService } from '../../src/cutover/seal-transaction.js';
import { emitFence } from '../../src/fence.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { seedLegacy } from '../observability/legacy-workload.js';
import { startObservedSidecar, type ObservedSidecar } from '../observability/observed-sidecar.js';
import { runCli } from '../harness/run-cli.js';
import { query } from '../streaming/sidecar-fixture.js';

/**
 * The freeze check reads the legacy WAL itself (a temporary logical slot), not pg_stat_user_tables:
 * a TRUNCATE counts, and a write committed an instant before the second fence is in the range.
 */
let dbs: TestDatabases;
let observed: ObservedSidecar;
const FREEZONE_TABLES = ['business_activities', 'establishment_guides', 'free_zones'];

beforeAll(async () => {
  dbs = await createTestDatabases();
  observed = await startObservedSidecar(dbs);
  await seedLegacy(dbs.legacyUrl, { users: 20, documents: 20, activityLogs: 20, businessActivities: 20, scraperTasks: 10 });
  await query(dbs.legacyUrl, `INSERT INTO establishment_guides (free_zone_id, entity_type, title, steps) VALUES (1, 'llc', 'Guide', '[]')`);
  await observed.sync();
});
afterAll(async () => {
  await observed?.stop();
  await dbs?.drop();
});

describe('the exact freeze check', () => {
  it('counts every committed change between two fences, TRUNCATE included, and only those', async () => {
    const scan = await LegacyChangeScan.open(dbs.legacyUrl, observed.config.publication, FREEZONE_TABLES);
    try {
      await query(dbs.legacyUrl, `INSERT INTO free_zones (slug, name, emirate) VALUES ('before-f1', 'x', 'Dubai')`);
      const first = await emitFence(dbs.legacyUrl);
      await query(dbs.legacyUrl, 'TRUNCATE establishment_guides');
      await query(dbs.legacyUrl, `BEGIN; INSERT INTO free_zones (slug, name, emirate) VALUES ('rolled-back', 'x', 'Dubai'); ROLLBACK`);
      await query(dbs.legacyUrl, `UPDATE users SET email = 'not-a-freezone-table@example.test' WHERE id = 1`);
      // The last write an instant before the second fence, on the same connection.
      const second = await (async () => {
        await query(dbs.legacyUrl, `INSERT INTO free_zones (slug, name, emirate) VALUES ('just-before-f2', 'x', 'Dubai')`);
        return await emitFence(dbs.legacyUrl);
      })();
      await query(dbs.legacyUrl, `DELETE FROM business_activities WHERE id = 5`);
      const third = await emitFence(dbs.legacyUrl);

      const window = await scan.changesBetween(first, second);
      expect(window.changes).toEqual([
        { table: 'establishment_guides', inserts: 0, updates: 0, deletes: 0, truncates: 1 },
        { table: 'free_zones', inserts: 1, updates: 0, deletes: 0, truncates: 0 },
      ]);
      expect(window.tables).toEqual(FREEZONE_TABLES);
      expect(window.transactions).toBeGreaterThanOrEqual(3);
      expect(describeChanges(window.changes)).toBe('establishment_guides (0 inserted, 0 updated, 0 deleted, 1 truncated), free_zones (1 inserted, 0 updated, 0 deleted, 0 truncated)');
      const after = await scan.changesBetween(second, third);
      expect(after.changes).toEqual([{ table: 'business_activities', inserts: 0, updates: 0, deletes: 1, truncates: 0 }]);
    } finally {
      await scan.close();
    }
    expect(await query(dbs.legacyUrl, 'SELECT slot_name FROM pg_replication_slots WHERE slot_name = $1', [scan.slotName])).toEqual([]);
  });

  it('refuses the cutover while a TRUNCATE hits a legacy table of the service, and says what it checked', async () => {
    let stop = false;
    const truncating = (async () => {
      while (!stop) await query(dbs.legacyUrl, 'TRUNCATE establishment_guides');
    })();
    let result: Awaited<ReturnType<typeof runCli>>;
    try {
      result = await runCli(['cutover', '--service', 'freezone_db', '--window', '1', '--json'], dbs.env);
    } finally {
      stop = true;
      await truncating;
    }
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as CutoverReport;
    expect(report.steps.find((s) => s.step === 'frozen')?.status).toBe('refused');
    expect(report.freezeScans).toHaveLength(1);
    expect(report.freezeScans[0]?.tables).toEqual(FREEZONE_TABLES);
    expect(report.freezeScans[0]?.afterLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(report.writesSeen).toEqual([expect.objectContaining({ table: 'establishment_guides', inserts: 0, updates: 0, deletes: 0, truncates: expect.any(Number) as number })]);
    expect(report.writesSeen[0]?.truncates).toBeGreaterThan(0);
    expect(await query(dbs.serviceUrls.freezone_db, "SELECT to_regclass('pgcarve.cutover') IS NOT NULL AND EXISTS (SELECT 1 FROM pgcarve.cutover) AS sealed")).toEqual([{ sealed: false }]);
  });

  it('does not seal when a write slipped in after the second fence: the last scan runs under the lock', async () => {
    const scan = await LegacyChangeScan.open(dbs.legacyUrl, observed.config.publication, FREEZONE_TABLES);
    try {
      const second = await emitFence(dbs.legacyUrl);
      await query(dbs.legacyUrl, `UPDATE free_zones SET name = 'slipped in' WHERE id = 3`);
      const outcome = await sealService({
        legacyUrl: dbs.legacyUrl,
        serviceUrl: dbs.serviceUrls.freezone_db,
        slot: observed.config.slot,
        service: 'freezone_db',
        tables: FREEZONE_TABLES,
        lockTimeoutMs: 10_000,
        check: async (lockedAt) => {
          const late = await scan.changesBetween(second, lockedAt);
          return late.changes.length > 0 ? describeChanges(late.changes) : undefined;
        },
      });
      expect(outcome).toMatchObject({ kind: 'refused', reason: 'free_zones (0 inserted, 1 updated, 0 deleted, 0 truncated)' });
    } finally {
      await scan.close();
    }
    // Nothing sealed: the next legacy write still reaches freezone_db.
    await query(dbs.legacyUrl, `UPDATE free_zones SET name = 'still forward' WHERE id = 3`);
    await observed.sync(60_000);
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT name FROM free_zones WHERE id = 3')).toEqual([{ name: 'still forward' }]);
  });
});
