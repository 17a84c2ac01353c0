import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CutoverReport } from '../../src/cutover/cutover.js';
import { spawnPgcarve } from '../harness/pgcarve-process.js';
import { createTestDatabases, type TestDatabases } from '../harness/databases.js';
import { waitFor } from '../harness/wait-for.js';
import { seedLegacy } from '../observability/legacy-workload.js';
import { startObservedSidecar, type ObservedSidecar } from '../observability/observed-sidecar.js';
import { runCli } from '../harness/run-cli.js';
import { query } from '../streaming/sidecar-fixture.js';

/**
 * A `pgcarve backfill` that does not finish (its timeout passes with the sidecar stopped, or
 * SIGTERM) leaves the table `repair-interrupted`: verify, status and cutover treat it as not
 * verified (cutover refuses, naming the command), until the next `pgcarve backfill` finishes it.
 * The CLI is spawned from dist/: run `npm run build` first.
 */
let dbs: TestDatabases;
let observed: ObservedSidecar | undefined;

beforeAll(async () => {
  dbs = await createTestDatabases();
  observed = await startObservedSidecar(dbs);
  await seedLegacy(dbs.legacyUrl, { users: 20, documents: 20, activityLogs: 20, businessActivities: 60, scraperTasks: 30 });
  await observed.sync();
});
afterAll(async () => {
  await observed?.stop();
  await dbs?.drop();
});

const state = async (service: 'freezone_db' | 'scraper_db', table: string): Promise<string | undefined> =>
  (await query<{ state: string }>(dbs.serviceUrls[service], 'SELECT state FROM pgcarve.backfill WHERE source_table = $1', [table]))[0]?.state;

describe('a repair that did not finish', () => {
  it('timed out with the sidecar stopped: not verified, cutover refuses, the next backfill finishes it', async () => {
    await query(dbs.serviceUrls.freezone_db, 'DELETE FROM business_activities WHERE id = 9');
    await observed?.stop();
    observed = undefined;
    const timedOut = await runCli(['backfill', '--service', 'freezone_db', '--table', 'business_activities', '--timeout', '1'], dbs.env);
    expect(timedOut.code).toBe(1);
    expect(await state('freezone_db', 'business_activities')).toBe('repairing');

    observed = await startObservedSidecar(dbs);
    const env = { ...dbs.env, PGCARVE_HTTP_PORT: new URL(observed.url).port };
    await observed.sync(60_000);
    const verify = await runCli(['verify', '--service', 'freezone_db'], env);
    expect(verify.code).toBe(3);
    expect(verify.stderr).toContain('legacy business_activities not checked: NOT VERIFIED: a pgcarve backfill of it ended before it finished');
    expect(verify.stderr).toContain('pgcarve backfill --service freezone_db --table business_activities');
    const status = await runCli(['status'], env);
    expect(status.stdout).toContain('backfill business_activities: repair interrupted, NOT VERIFIED (cutover refuses): finish it with pgcarve backfill --service freezone_db --table business_activities');

    const refused = await runCli(['cutover', '--service', 'freezone_db', '--assume-frozen', '--json'], env);
    expect(refused.code).toBe(1);
    const report = JSON.parse(refused.stdout) as CutoverReport;
    expect(report.steps.find((s) => s.step === 'verify')).toMatchObject({
      status: 'refused',
      detail: expect.stringContaining('not verified: business_activities (repair interrupted) in freezone_db is not fully copied; finish it (pgcarve backfill --service freezone_db --table business_activities)') as string,
    });
    expect(report.steps.find((s) => s.step === 'record')?.status).toBe('not-run');

    const finished = await runCli(['backfill', '--service', 'freezone_db', '--table', 'business_activities', '--timeout', '60'], env);
    expect(finished.code, finished.stderr).toBe(0);
    expect(await state('freezone_db', 'business_activities')).toBe('copied');
    expect(await query(dbs.serviceUrls.freezone_db, 'SELECT id FROM business_activities WHERE id = 9')).toEqual([{ id: 9 }]);
    const cutover = await runCli(['cutover', '--service', 'freezone_db', '--assume-frozen', '--json'], env);
    expect(cutover.code, cutover.stdout).toBe(0);
  });

  it('SIGTERM: a message, exit 130, and the table left repair-interrupted', async () => {
    await observed?.stop();
    observed = undefined;
    // With the sidecar stopped the chunks are never applied: the backfill waits (600 s) for them.
    const child = spawnPgcarve(['backfill', '--service', 'scraper_db', '--table', 'scraper_tasks'], { ...dbs.env, PGCARVE_LOG_LEVEL: 'info' });
    try {
      await waitFor('the backfill to wait for its chunks', () => child.output().includes('backfill: re-copying scraper_tasks'), 60_000);
      // While it runs, the table is being repaired, not interrupted.
      await waitFor('the repair to be live', async () => (await state('scraper_db', 'scraper_tasks')) === 'repairing', 60_000);
      const live = await runCli(['status', '--json'], dbs.env);
      const scraper = (JSON.parse(live.stdout) as { services: { service: string; backfill: { table: string; state: string }[] }[] }).services.find((s) => s.service === 'scraper_db');
      expect(scraper?.backfill.find((b) => b.table === 'scraper_tasks')?.state).toBe('repairing');
      child.child.kill('SIGTERM');
      expect(await child.exited).toBe(130);
    } finally {
      if (child.child.exitCode === null) await child.kill9();
    }
    expect(child.output()).toContain('pgcarve backfill: stopped by a signal before scraper_tasks was re-copied and applied in scraper_db; it is left repair-interrupted');
    const status = await runCli(['status', '--json'], dbs.env);
    const scraper = (JSON.parse(status.stdout) as { services: { service: string; backfill: { table: string; state: string }[] }[] }).services.find((s) => s.service === 'scraper_db');
    expect(scraper?.backfill.find((b) => b.table === 'scraper_tasks')?.state).toBe('repair-interrupted');
  });
});
