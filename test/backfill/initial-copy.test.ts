import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_RULES } from '../../mappings/index.js';
import { Backfill } from '../../src/backfill/backfill.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { formatLsn } from '../../src/lsn.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { allStates, RecordingObserver } from './backfill-fixture.js';
import { startWorkload } from './legacy-workload.js';
import { seedLegacy } from './seed-legacy.js';

/**
 * First start on a legacy database that already holds data: the slot is created with an exported
 * snapshot, every mapped table is copied through the mappings (several connections, large tables
 * split into key ranges), then streaming takes over at the slot's consistent point, while a
 * workload keeps writing the whole time. The result must be exactly what monolith.md implies
 * (the oracle is SQL over the legacy database, independent of the mapping code).
 */
let dbs: TestDatabases;
let running: RunningSidecar | undefined;

beforeAll(async () => {
  dbs = await createTestDatabases();
  await seedLegacy(dbs.legacyUrl, 3_000);
  // Statistics, so that reltuples is an estimate and pg_stats has histograms to split ranges by.
  await query(dbs.legacyUrl, 'ANALYZE');
});
afterAll(async () => {
  await running?.stop();
  await dbs?.drop();
});

describe('initial copy with writes continuing', () => {
  it('copies every mapped table and hands over to streaming with no gap and no double effect', async () => {
    const routing = new RoutingTable(LEGACY_RULES);
    const observer = new RecordingObserver();
    const config = loadConfig({ ...dbs.env, PGCARVE_BACKFILL_CONCURRENCY: '3' });
    const backfill = new Backfill({ config, log: silentLogger, observer, pageRows: 500, rangeRows: 1_000 });
    const workload = startWorkload(dbs.legacyUrl, 7);
    await workload.after(20);
    running = await startSidecar(dbs, { PGCARVE_BACKFILL_CONCURRENCY: '3' }, { backfill });
    const before = workload.committed();
    await workload.after(100);
    const during = await workload.stop();
    await running.sync(60_000);

    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
    expect(during - before).toBeGreaterThanOrEqual(100);

    // Every table copied once, all on the slot's one snapshot, and the counts add up.
    const states = await allStates(dbs);
    const expectedKeys = [...routing.bySource].flatMap(([table, routed]) => routed.services.map((s) => `${s}.${table}`)).sort();
    expect([...states.keys()].sort()).toEqual(expectedKeys);
    const lsns = new Set<string>();
    for (const [key, state] of states) {
      expect(state.kind, key).toBe('copied');
      expect(state.attempts, key).toBe(1);
      if (state.kind === 'copied' && state.snapshotLsn !== undefined) lsns.add(formatLsn(state.snapshotLsn));
      expect(observer.rows.get(key) ?? 0, key).toBe(state.rowsCopied);
      expect(observer.last.get(key)?.done ?? 0, key).toBe(state.rowsCopied);
    }
    expect(lsns.size).toBe(1);
    expect(observer.finishedCalls).toBe(1);
    expect(states.get('document_db.documents')?.rowsCopied).toBeGreaterThan(5_900);
  });
});
