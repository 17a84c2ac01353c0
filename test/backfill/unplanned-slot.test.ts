import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Backfill } from '../../src/backfill/backfill.js';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { compareWithOracle } from '../oracle/expected-state.js';
import { query, startSidecar, type RunningSidecar } from '../streaming/sidecar-fixture.js';
import { allStates, RecordingObserver } from './backfill-fixture.js';

/**
 * A slot created over empty legacy tables by a sidecar that recorded no backfill plan (an earlier
 * pgcarve, or one without a backfill): no service database has backfill state for it. That is not
 * a loss: the first start with a backfill copies nothing and records every table as owing nothing,
 * after which a lost state is told apart.
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

describe('a slot without any backfill state', () => {
  it('is adopted as owing nothing, then a lost database is still copied', async () => {
    running = await startSidecar(dbs);
    await query(dbs.legacyUrl, `INSERT INTO roles (id, name, permissions) VALUES (1, 'streamed', '[]'), (2, 'also streamed', '[]')`);
    await running.sync();
    await running.stop();
    expect((await allStates(dbs)).size).toBe(0);

    await query(dbs.legacyUrl, `INSERT INTO roles (id, name, permissions) VALUES (3, 'while stopped', '[]')`);
    const adopted = new RecordingObserver();
    running = await startSidecar(dbs, {}, { backfill: new Backfill({ config: loadConfig(dbs.env), log: silentLogger, observer: adopted }) });
    await running.sync();
    expect(adopted.states).toEqual([]);
    const states = await allStates(dbs);
    expect(states.get('user_db.roles')).toMatchObject({ kind: 'copied', rowsCopied: 0, snapshotLsn: undefined });
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
    await running.stop();

    await query(dbs.serviceUrls.user_db, 'DROP SCHEMA pgcarve CASCADE; TRUNCATE roles');
    const copied = new RecordingObserver();
    running = await startSidecar(dbs, {}, { backfill: new Backfill({ config: loadConfig(dbs.env), log: silentLogger, observer: copied }) });
    await running.sync();
    expect(copied.states.filter((s) => s.state === 'copied').map((s) => `${s.service}.${s.table}`).sort()).toEqual(['user_db.roles', 'user_db.users']);
    expect(await compareWithOracle(dbs.legacyUrl, dbs.serviceUrls)).toEqual([]);
  }, 120_000);
});
