import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liftSeal, sealService } from '../../src/cutover/seal-transaction.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { seedLegacy } from '../observability/legacy-workload.js';
import { sample, startObservedSidecar, type ObservedSidecar } from '../observability/observed-sidecar.js';
import { query } from '../streaming/sidecar-fixture.js';

/**
 * A cutover done while the sidecar runs seals exactly at the seal's LSN, not when the sidecar
 * notices: the service's writer is stalled (its database table locked), so changes before the seal
 * and after it are all queued when the seal commits; a legacy write already issued before the seal
 * but committed right after it (it waited on the seal's lock) is never applied.
 */
let dbs: TestDatabases;
let observed: ObservedSidecar;

beforeAll(async () => {
  dbs = await createTestDatabases();
  observed = await startObservedSidecar(dbs);
  await seedLegacy(dbs.legacyUrl, { users: 20, documents: 20, activityLogs: 20, businessActivities: 20, scraperTasks: 10 });
  await observed.sync();
});
afterAll(async () => {
  await observed?.stop();
  await dbs?.drop();
});

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client(url);
  await client.connect();
  return client;
}

describe('a cutover while the sidecar streams', () => {
  it('applies what committed before the seal and nothing after it, even when both were queued', async () => {
    // Stall freezone_db's writer: everything the router sends it from now on waits in its queue.
    const stall = await connect(dbs.serviceUrls.freezone_db);
    await stall.query('BEGIN');
    await stall.query('LOCK TABLE free_zones IN ACCESS EXCLUSIVE MODE');
    await query(dbs.legacyUrl, `UPDATE free_zones SET name = 'before the seal' WHERE id = 1`);

    const late = await connect(dbs.legacyUrl);
    let lateDone: Promise<unknown> | undefined;
    const outcome = await sealService({
      legacyUrl: dbs.legacyUrl,
      serviceUrl: dbs.serviceUrls.freezone_db,
      slot: observed.config.slot,
      service: 'freezone_db',
      tables: ['business_activities', 'establishment_guides', 'free_zones'],
      lockTimeoutMs: 10_000,
      check: async () => {
        // A writer that started before the seal: its UPDATE waits on the seal's SHARE lock.
        const pid = (await late.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
        await late.query('BEGIN');
        lateDone = late.query(`UPDATE free_zones SET name = 'after the seal' WHERE id = 2`).then(() => late.query('COMMIT'));
        await waitFor('the late writer to wait on the lock', async () => (await query<{ w: string | null }>(dbs.legacyUrl, 'SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = $1', [pid]))[0]?.w === 'Lock');
        return undefined;
      },
    });
    expect(outcome.kind).toBe('sealed');
    await lateDone;
    await late.end();
    // And one more after it, on a table feeding freezone_db and user_db alike? free_zones feeds only
    // freezone_db; users shows the others go on.
    await query(dbs.legacyUrl, `BEGIN; DELETE FROM business_activities WHERE id = 3; UPDATE users SET email = 'sealed@example.test' WHERE id = 2; COMMIT`);

    await stall.query('COMMIT');
    await stall.end();
    await observed.sync(60_000);

    const zones = await query<{ id: number; name: string }>(dbs.serviceUrls.freezone_db, 'SELECT id, name FROM free_zones WHERE id IN (1, 2) ORDER BY id');
    expect(zones).toEqual([
      { id: 1, name: 'before the seal' },
      { id: 2, name: 'Zone 2' },
    ]);
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT id FROM business_activities WHERE id = 3')).toEqual([{ id: 3 }]);
    expect(await query(dbs.serviceUrls.user_db, 'SELECT email FROM users WHERE id = 2')).toEqual([{ email: 'sealed@example.test' }]);
    const text = await (await fetch(`${observed.url}/metrics`)).text();
    expect(sample(text, 'pgcarve_legacy_writes_after_cutover_total', { service: 'freezone_db', table: 'free_zones' })).toBe(1);
    expect(sample(text, 'pgcarve_legacy_writes_after_cutover_total', { service: 'freezone_db', table: 'business_activities' })).toBe(1);

    // The record says the same LSN, so a restarted sidecar holds exactly the same transactions.
    const [record] = await query<{ fence_lsn: string }>(dbs.serviceUrls.freezone_db, 'SELECT fence_lsn::text AS fence_lsn FROM pgcarve.cutover');
    expect(outcome.kind === 'sealed' && record?.fence_lsn).toBeTruthy();
  });

  it('lifts the seal from a lift message on, while running (the rollback)', async () => {
    await query(dbs.legacyUrl, `UPDATE free_zones SET name = 'still sealed' WHERE id = 4`);
    const lifted = await liftSeal({ legacyUrl: dbs.legacyUrl, serviceUrls: dbs.serviceUrls, slot: observed.config.slot, service: 'freezone_db', timeoutMs: 60_000 });
    expect(lifted.kind).toBe('lifted');
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT rolled_back_at IS NOT NULL AS lifted FROM pgcarve.cutover')).toEqual([{ lifted: true }]);
    await query(dbs.legacyUrl, `UPDATE free_zones SET name = 'forward again' WHERE id = 5`);
    await observed.sync(60_000);
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT id, name FROM free_zones WHERE id IN (4, 5) ORDER BY id')).toEqual([
      { id: 4, name: 'Zone 4' },
      { id: 5, name: 'forward again' },
    ]);
    // A reconnect replays from the writers' durable positions: the sealed span stays sealed.
    await observed.stop();
    observed = await startObservedSidecar(dbs);
    await observed.sync(60_000);
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT name FROM free_zones WHERE id = 4')).toEqual([{ name: 'Zone 4' }]);
  });
});
