import { MAPPINGS } from '../harness/mappings.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { StatusView } from '../../src/http/status-view.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { sample } from '../observability/observed-sidecar.js';
import { query } from '../streaming/sidecar-fixture.js';
import { runCli } from './operator-fixture.js';

let dbs: TestDatabases;
let runtime: Runtime;

beforeAll(async () => {
  dbs = await createTestDatabases();
  runtime = await startRuntime({ mappings: MAPPINGS, config: loadConfig({ ...dbs.env, PGCARVE_DRIFT_INTERVAL_SECONDS: '0' }), log: silentLogger, defaultMetrics: false, pollIntervalMs: 300 });
  await runtime.streaming;
});
afterAll(async () => {
  await runtime?.stop();
  await dbs?.drop();
});

describe('the unrouted legacy tables', () => {
  it('include a table created after the start, in /status, the metric and `pgcarve status`', async () => {
    const api = `http://127.0.0.1:${runtime.httpPort}`;
    expect(((await (await fetch(`${api}/status`)).json()) as StatusView).unroutedTables).toEqual([]);
    await query(dbs.legacyUrl, 'CREATE TABLE invoices_created_later (id integer PRIMARY KEY)');
    await waitFor('the sidecar to see the new table', async () => ((await (await fetch(`${api}/status`)).json()) as StatusView).unroutedTables?.includes('invoices_created_later'));
    expect(sample(await (await fetch(`${api}/metrics`)).text(), 'pgcarve_unrouted_tables')).toBe(1);
    // `pgcarve status` reads the legacy database itself: a table the sidecar has not polled yet shows too.
    await query(dbs.legacyUrl, 'CREATE TABLE payments_created_later (id integer PRIMARY KEY)');
    const status = await runCli(['status', '--json'], { ...dbs.env, PGCARVE_HTTP_PORT: String(runtime.httpPort) });
    const view = JSON.parse(status.stdout) as StatusView;
    expect(view.sidecar.reachable).toBe(true);
    expect(view.unroutedTables).toEqual(['invoices_created_later', 'payments_created_later']);
  });
});
