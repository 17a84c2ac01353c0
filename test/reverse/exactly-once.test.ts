import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reverseNames } from '../../src/reverse/reverse-names.js';
import type { TestDatabases } from '../harness/databases.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { auditSql, cutOverWorld, type CutOverWorld, reverseSync, run, type RunningReverse, startReverse } from './reverse-fixture.js';

let world: CutOverWorld;
let dbs: TestDatabases;
let sidecar: RunningSidecar;
let reverse: RunningReverse;

const AUDIT = auditSql(['free_zones', 'establishment_guides']);

const TRANSACTIONS = 120;
const ROWS = 25;

beforeAll(async () => {
  world = await cutOverWorld(['freezone_db'], { users: 5, documents: 5, activityLogs: 5, businessActivities: 5, scraperTasks: 5, messages: 1 });
  ({ dbs, sidecar } = world);
  await run(dbs.legacyUrl, [AUDIT]);
}, 300_000);

afterAll(async () => {
  await reverse?.stop();
  await world?.drop();
});

describe('the reverse stream applies each service transaction exactly once', () => {
  it('while its legacy connection and its replication connection are killed mid-stream: nothing lost, nothing doubled', async () => {
    const slot = reverseNames(sidecar.config.slot, 'freezone_db').slot;
    const legacyAdmin = new pg.Client(dbs.legacyUrl);
    const serviceAdmin = new pg.Client(dbs.serviceUrls.freezone_db);
    await legacyAdmin.connect();
    await serviceAdmin.connect();
    // The service's transactions wait in the reverse slot; the stream then catches up under kills.
    const statements: string[] = [];
    for (let t = 0; t < TRANSACTIONS; t++) {
      statements.push(`INSERT INTO establishment_guides (id, free_zone_id, entity_type, title, steps) SELECT ${t * 1000} + g, 1, 'LLC', 'guide ' || g, '[]' FROM generate_series(1, ${ROWS}) g;
                       UPDATE free_zones SET name = 'name ${t}' WHERE id = 1`);
    }
    await run(dbs.serviceUrls.freezone_db, statements);
    // A copy of the slot before anything is applied, for the replay test below.
    await run(dbs.serviceUrls.freezone_db, [`SELECT pg_copy_logical_replication_slot('${slot}', '${slot}_copy')`]);
    reverse = startReverse(sidecar.config);
    const killed = { legacy: 0, replication: 0 };
    const killer = (async () => {
      for (let round = 0; killed.legacy < 3 || killed.replication < 3; round++) {
        const result =
          round % 2 === 0
            ? await legacyAdmin.query<{ killed: boolean }>(`SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = 'pgcarve-reverse-freezone_db' AND datname = current_database()`)
            : await serviceAdmin.query<{ killed: boolean }>('SELECT pg_terminate_backend(active_pid) AS killed FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [slot]);
        const n = result.rows.filter((r) => r.killed).length;
        killed[round % 2 === 0 ? 'legacy' : 'replication'] += n;
        await new Promise((resolve) => setTimeout(resolve, 40 + (round % 5) * 30));
      }
    })();
    await killer;
    await reverseSync(sidecar.config, 'freezone_db', 180_000);
    await legacyAdmin.end();
    await serviceAdmin.end();
    expect(killed.legacy).toBeGreaterThanOrEqual(3);
    expect(killed.replication).toBeGreaterThanOrEqual(3);
    const counts = await query<{ tbl: string; op: string; rows: string; ids: string }>(dbs.legacyUrl, 'SELECT tbl, op, count(*)::text AS rows, count(DISTINCT id)::text AS ids FROM audit GROUP BY tbl, op ORDER BY tbl, op');
    expect(counts).toEqual([
      { tbl: 'establishment_guides', op: 'INSERT', rows: String(TRANSACTIONS * ROWS), ids: String(TRANSACTIONS * ROWS) },
      { tbl: 'free_zones', op: 'UPDATE', rows: String(TRANSACTIONS), ids: '1' },
    ]);
    expect(await query(dbs.legacyUrl, 'SELECT name FROM free_zones WHERE id = 1')).toEqual([{ name: `name ${TRANSACTIONS - 1}` }]);
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls, ['freezone_db'])).toEqual([]);
  });

  it('a replay of transactions it applied before (the slot behind the legacy checkpoint) is skipped', async () => {
    const slot = reverseNames(sidecar.config.slot, 'freezone_db').slot;
    await reverse.stop();
    // The slot as it was before the stream started: the server sends every transaction again.
    await run(dbs.serviceUrls.freezone_db, [`SELECT pg_drop_replication_slot('${slot}')`, `SELECT pg_copy_logical_replication_slot('${slot}_copy', '${slot}')`, `SELECT pg_drop_replication_slot('${slot}_copy')`]);
    reverse = startReverse(sidecar.config);
    await run(dbs.serviceUrls.freezone_db, [`UPDATE free_zones SET name = 'after the replay' WHERE id = 1`]);
    await reverseSync(sidecar.config, 'freezone_db', 180_000);
    const counts = await query<{ tbl: string; op: string; rows: string }>(dbs.legacyUrl, 'SELECT tbl, op, count(*)::text AS rows FROM audit GROUP BY tbl, op ORDER BY tbl, op');
    expect(counts).toEqual([
      { tbl: 'establishment_guides', op: 'INSERT', rows: String(TRANSACTIONS * ROWS) },
      { tbl: 'free_zones', op: 'UPDATE', rows: String(TRANSACTIONS + 1) },
    ]);
    expect(await query(dbs.legacyUrl, 'SELECT name FROM free_zones WHERE id = 1')).toEqual([{ name: 'after the replay' }]);
  });
});
