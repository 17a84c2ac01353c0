import { MAPPINGS } from '../harness/mappings.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { StatusView } from '../../src/http/status-view.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { query } from '../streaming/sidecar-fixture.js';

let dbs: TestDatabases;
let first: Runtime | undefined;
let second: Runtime | undefined;

beforeAll(async () => {
  dbs = await createTestDatabases();
});
afterAll(async () => {
  await second?.stop();
  await first?.stop();
  await dbs?.drop();
});

const start = (): Promise<Runtime> => startRuntime({ mappings: MAPPINGS, config: loadConfig({ ...dbs.env, PGCARVE_DRIFT_INTERVAL_SECONDS: '0' }), log: silentLogger, defaultMetrics: false, pollIntervalMs: 500 });
const status = async (runtime: Runtime): Promise<StatusView> => (await (await fetch(`http://127.0.0.1:${runtime.httpPort}/status`)).json()) as StatusView;

describe('a second pgcarve run on the same slot', () => {
  it('stands by, saying which pgcarve holds the slot (where, server PID, since when), and takes over without losing a change', async () => {
    first = await start();
    await first.streaming;
    second = await start();
    const standby = await waitFor('the second one to stand by', async () => {
      const view = await status(second as Runtime);
      return view.sidecar.phase === 'standby' ? view : undefined;
    });
    const holder = await query<{ pid: number }>(dbs.legacyUrl, 'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [dbs.slot]);
    expect(standby.sidecar.lastError).toMatch(
      new RegExp(`^replication slot ${dbs.slot} is held by another pgcarve \\(pgcarve \\S+ pid ${process.pid}\\), connected from 127\\.0\\.0\\.1, server PID ${holder[0]?.pid}, since \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z: this pgcarve stands by \\(phase standby\\) and retries`),
    );
    expect(standby.sidecar.lastError).toContain('give this one its own PGCARVE_SLOT, or stop the other');
    expect(standby.sidecar.ready).toBe(false);
    expect((await status(first)).sidecar.phase).toBe('streaming');

    // The first one goes away while the legacy database takes writes: the standby takes over.
    await first.stop();
    first = undefined;
    await query(dbs.legacyUrl, `INSERT INTO roles (id, name) VALUES (9001, 'written during the hand-over')`);
    await waitFor('the standby to stream', async () => (await status(second as Runtime)).sidecar.phase === 'streaming', 90_000);
    await waitFor('the change to arrive', async () => (await query(dbs.serviceUrls.user_db, 'SELECT 1 FROM roles WHERE id = 9001')).length === 1, 60_000);
  });
});
