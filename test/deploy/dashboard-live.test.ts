import { MAPPINGS } from '../harness/mappings.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/log.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { seedLegacy } from '../../tools/workload/seed.js';
import { startWorkload, type Workload } from '../../tools/workload/live-workload.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { describeOutcomes, runDashboardQueries, startPrometheus, type PrometheusServer } from './prometheus.js';

/**
 * The dashboard against the real thing: a real Prometheus scrapes a real pgcarve (backfill, then
 * streaming under a live workload, with the drift check running), and every panel query of
 * grafana/pgcarve.json must return data.
 */
let dbs: TestDatabases;
let runtime: Runtime;
let workload: Workload;
let prometheus: PrometheusServer;

beforeAll(async () => {
  dbs = await createTestDatabases();
  const client = new pg.Client(dbs.legacyUrl);
  await client.connect();
  await seedLegacy(client, { scale: 0.5 });
  await client.end();
  const config = loadConfig({ ...dbs.env, PGCARVE_DRIFT_INTERVAL_SECONDS: '1' });
  runtime = await startRuntime({ mappings: MAPPINGS, config, log: silentLogger, httpHost: '127.0.0.1', pollIntervalMs: 500 });
  await runtime.streaming;
  workload = startWorkload(dbs.legacyUrl, { ratePerSecond: 30 });
  prometheus = await startPrometheus({ target: `http://127.0.0.1:${runtime.httpPort}/metrics` });
  await waitFor('a drift check to complete', () => runtime.lastDrift() !== undefined, 60_000, 200);
  await prometheus.waitForScrapes(4);
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await workload?.stop();
  await runtime?.stop();
  await dbs?.drop();
});

describe('the Grafana dashboard on a live pgcarve', () => {
  it('every panel query returns data', async () => {
    const report = await runDashboardQueries(prometheus);
    expect(report.outcomes.length).toBeGreaterThan(20);
    expect(describeOutcomes(report.failed), 'queries Prometheus rejected').toBe('');
    expect(describeOutcomes(report.noData), 'queries without data').toBe('');
  });
});
