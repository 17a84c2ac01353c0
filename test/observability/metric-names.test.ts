import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../tools/embedded/embedded-cluster.js';
import { emitFence, waitForFence } from '../../src/fence.js';
import { packageRoot } from '../../src/package-root.js';
import { SERVICES } from '../../mappings/services.js';
import { checkExposition, PGCARVE_METRICS, seriesNames } from '../deploy/metric-names.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { seedLegacy } from './legacy-workload.js';
import { sample } from './observed-sidecar.js';

/**
 * The contract with the dashboard and the alerts (test/deploy/metric-names.ts), checked against a
 * real `pgcarve run` process: the built CLI, as the image runs it.
 */
let dbs: TestDatabases;
let child: ChildProcess;
let output = '';
let url: string;

beforeAll(async () => {
  if (!existsSync(join(packageRoot(), 'dist', 'src', 'metrics', 'metrics.js'))) throw new Error('dist/ is not built: run `npm run build` (npm test does it first)');
  dbs = await createTestDatabases();
  // Rows before the first start: the sidecar backfills them, so the backfill metrics have series.
  await seedLegacy(dbs.legacyUrl, { users: 20, documents: 20, activityLogs: 20, businessActivities: 20, messages: 5, scraperTasks: 5 });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [join(packageRoot(), 'bin', 'pgcarve.js'), 'run'], {
    env: { PATH: process.env.PATH ?? '', ...dbs.env, PGCARVE_HTTP_PORT: String(port), PGCARVE_DRIFT_INTERVAL_SECONDS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor('pgcarve run to be ready', async () => child.exitCode === null && (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, 60_000, 100).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${output}`);
  });
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await dbs?.drop();
});

describe('a running pgcarve exports every metric the dashboard and the alerts use', () => {
  it('has every family of metric-names.ts with its type, and a series for each once it streams, backfilled and checked drift', async () => {
    const client = await import('pg');
    const legacy = new client.default.Client(dbs.legacyUrl);
    await legacy.connect();
    await legacy.query(`UPDATE users SET full_name = 'x' WHERE id = 1; DELETE FROM activity_logs WHERE id = 2; INSERT INTO roles (name) VALUES ('late')`);
    await legacy.end();
    const fence = await emitFence(dbs.legacyUrl);
    expect((await waitForFence(dbs.serviceUrls, dbs.slot, fence, 30_000)).reached).toBe(true);
    const text = await waitFor(
      'a drift check of every service',
      async () => {
        const body = await (await fetch(`${url}/metrics`)).text();
        const checked = SERVICES.every((service) => (sample(body, 'pgcarve_drift_last_check_timestamp_seconds', { service }) ?? 0) > 0);
        // The slot is read every 2 s beside the stream.
        return checked && sample(body, 'pgcarve_slot_wal_status', { status: 'reserved' }) === 1 ? body : undefined;
      },
      30_000,
      200,
    );
    expect(await checkExposition(text)).toEqual({ missing: [], wrongType: [] });
    const withoutSeries = PGCARVE_METRICS.filter((family) => !seriesNames(family).every((name) => new RegExp(`^${name}(\\{| )`, 'm').test(text))).map((f) => f.name);
    expect(withoutSeries).toEqual([]);
    expect(sample(text, 'pgcarve_slot_retained_wal_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'pgcarve_slot_safe_wal_size_bytes')).toBe(Number.POSITIVE_INFINITY);
    expect(sample(text, 'pgcarve_backfill_progress_ratio', { service: 'user_db', table: 'users' })).toBe(1);
    expect(sample(text, 'pgcarve_changes_applied_total', { service: 'user_db', table: 'users', op: 'update' })).toBe(1);
    expect(sample(text, 'pgcarve_changes_applied_total', { service: 'scraper_db', table: 'activity_logs', op: 'delete' })).toBe(1);
    expect(sample(text, 'pgcarve_drift_rows', { service: 'document_db', table: 'documents', kind: 'missing' })).toBe(0);
  });
});
