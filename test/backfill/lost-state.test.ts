import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEGACY_RULES } from '../../mappings/index.js';
import { Backfill } from '../../src/backfill/backfill.js';
import type { BackfillStateKind } from '../../src/state/backfill-state.js';
import { runCli } from '../harness/run-cli.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { RoutingTable } from '../../src/router/routing-table.js';
import type { ServiceName } from '../../mappings/services.js';
import type { Phase } from '../../src/sidecar.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { allStates, RecordingObserver } from './backfill-fixture.js';
import { startWorkload, type Workload } from './legacy-workload.js';
import { big, seedLegacy } from './seed-legacy.js';

/**
 * Issue 12, item 8: the slot exists with a position, but a service database lost what pgcarve had
 * put there (recreated empty, or its `pgcarve` schema dropped), or a table has no backfill state
 * (mapped after the slot was created). On start the sidecar must copy what is missing behind a
 * floor, be ready only after, and end exact, with the workload writing all along (also while the
 * sidecar is down).
 */
let dbs: TestDatabases;
let running: RunningSidecar | undefined;
let workload: Workload | undefined;
const routing = new RoutingTable(LEGACY_RULES);

beforeAll(async () => {
  dbs = await createTestDatabases();
  await seedLegacy(dbs.legacyUrl, 500);
});
afterAll(async () => {
  await workload?.stop().catch(() => undefined);
  await running?.stop();
  await dbs?.drop();
});

/** Observer calls with the sidecar's phase at the time. */
class PhaseObserver extends RecordingObserver {
  readonly during: { service: ServiceName; table: string; state: BackfillStateKind; phase: Phase }[] = [];
  phase: Phase = 'starting';
  override stateChanged(service: ServiceName, table: string, state: BackfillStateKind): void {
    super.stateChanged(service, table, state);
    this.during.push({ service, table, state, phase: this.phase });
  }
}

async function start(): Promise<PhaseObserver> {
  const observer = new PhaseObserver();
  const backfill = new Backfill({ config: loadConfig(dbs.env), log: silentLogger, observer });
  // One source transaction per target transaction: nothing replayed below a floor is merged away.
  running = await startSidecar(dbs, { PGCARVE_BATCH_MAX_TRANSACTIONS: '1' }, { backfill, onPhase: (phase) => (observer.phase = phase) });
  return observer;
}

async function stop(): Promise<void> {
  await running?.stop();
  running = undefined;
}

/** Stops the workload, waits until every service applied everything, compares with the oracle, starts it again. */
async function expectExact(seed: number): Promise<void> {
  await workload?.stop();
  await running?.sync(60_000);
  expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
  workload = startWorkload(dbs.legacyUrl, seed);
  await workload.after(5);
}

const tablesOf = (service: ServiceName): string[] => [...routing.bySource].filter(([, r]) => r.services.includes(service)).map(([t]) => t).sort();

/** The tables copied by this start, each copied only while backfilling (never while ready). */
function copiedBy(observer: PhaseObserver): string[] {
  const copied = observer.during.filter((d) => d.state === 'copied');
  for (const d of copied) expect(d.phase, `${d.service}.${d.table} copied while ${d.phase}`).toBe('backfilling');
  return copied.map((d) => `${d.service}.${d.table}`).sort();
}

describe('lost pgcarve state in a target, with the slot still there', () => {
  it('copies what is missing behind a floor and is ready only after: recreated database, dropped schema, missing state row', async () => {
    const first = await start();
    expect(copiedBy(first).length).toBeGreaterThan(10);
    workload = startWorkload(dbs.legacyUrl, 41);
    await workload.after(10);
    await expectExact(42);

    // (a) user_db dropped and recreated empty by `pgcarve migrate`, written to meanwhile. Among the
    // writes, an update that leaves a TOASTed column unsent, of a row deleted before the copy: the
    // floor must keep it from reaching the copy (where that row is not), which would stop the writer.
    await query(dbs.legacyUrl, `INSERT INTO users (email, password_hash, role_id, bio) VALUES ('toasted@example.ae', 'h', 1, ${big("'toasted'")})`);
    const [inserted] = await query<{ lsn: string }>(dbs.legacyUrl, 'SELECT pg_current_wal_lsn()::text AS lsn');
    await running?.sync(60_000);
    // The slot acknowledged past the insert, so the stream will not replay it before the update.
    await waitFor('the slot acknowledged past the insert', async () => {
      const rows = await query<{ past: boolean }>(dbs.legacyUrl, 'SELECT confirmed_flush_lsn >= $2::pg_lsn AS past FROM pg_replication_slots WHERE slot_name = $1', [dbs.slot, inserted?.lsn]);
      return rows[0]?.past === true;
    });
    await stop();
    await query(dbs.legacyUrl, `UPDATE users SET full_name = 'bio left unchanged' WHERE email = 'toasted@example.ae'`);
    await query(dbs.legacyUrl, `DELETE FROM users WHERE email = 'toasted@example.ae'`);
    await workload?.after(10);
    const userDb = new URL(dbs.serviceUrls.user_db).pathname.slice(1);
    await query(dbs.adminUrl, `DROP DATABASE ${userDb} WITH (FORCE)`);
    let out = '';
    const migrated = await runCli(['migrate'], { ...dbs.env }).then((r) => { out += r.stdout; out += r.stderr; return r.code; });
    expect(migrated, out).toBe(0);
    expect(await query(dbs.serviceUrls.user_db, 'SELECT count(*)::int AS n FROM users')).toEqual([{ n: 0 }]);
    const a = await start();
    expect(copiedBy(a)).toEqual(tablesOf('user_db').map((t) => `user_db.${t}`));
    await workload?.after(10);
    await expectExact(43);

    // (b) document_db's pgcarve schema dropped (checkpoint and backfill state gone, rows kept).
    await stop();
    await workload?.after(10);
    await query(dbs.serviceUrls.document_db, 'DROP SCHEMA pgcarve CASCADE');
    const b = await start();
    expect(copiedBy(b)).toEqual(tablesOf('document_db').map((t) => `document_db.${t}`));
    await workload?.after(10);
    await expectExact(44);

    // (c) free_zones has no state row and no target rows: as if mapped after the slot was created.
    await stop();
    await workload?.after(10);
    const owned = (routing.bySource.get('free_zones')?.targets ?? []).filter((t) => t.kind === 'owned').map((t) => t.table);
    await query(dbs.serviceUrls.freezone_db, `DELETE FROM pgcarve.backfill WHERE slot = $1 AND source_table = 'free_zones'`, [dbs.slot]);
    await query(dbs.serviceUrls.freezone_db, `TRUNCATE ${owned.map((t) => `public."${t}"`).join(', ')}`);
    const c = await start();
    expect(copiedBy(c)).toEqual(['freezone_db.free_zones']);
    await workload?.after(10);
    await expectExact(45);

    // A start with nothing missing copies nothing; every table was copied once since its loss.
    await stop();
    const quiet = await start();
    expect(copiedBy(quiet)).toEqual([]);
    const states = await allStates(dbs);
    expect(states.get('user_db.users')).toMatchObject({ kind: 'copied', attempts: 1 });
    expect(states.get('scraper_db.scraper_tasks')).toMatchObject({ kind: 'copied', attempts: 1 });
    await workload?.stop();
    workload = undefined;
    await running?.sync(60_000);
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
  }, 300_000);
});
